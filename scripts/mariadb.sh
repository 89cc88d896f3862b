#!/usr/bin/env bash
# Start or stop a MariaDB server on a loopback port, without systemd.
#   scripts/mariadb.sh start|stop|status [PORT]
# The datadir, socket, pid and log live under .data/mariadb-PORT/. `start` is
# idempotent and creates the app user (MARIADB_USER / MARIADB_PASSWORD) with
# rights on its database and on the test_* databases pytest-django creates.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
port="${2:-${MARIADB_PORT:-3317}}"
dir="$DATA_DIR/mariadb-$port"
cnf="$dir/my.cnf"
sock="$dir/mysqld.sock"
db_name="${MARIADB_DATABASE:-shop}"
db_user="${MARIADB_USER:-shop}"
db_password="${MARIADB_PASSWORD:-shop}"

ping() { mariadb-admin --socket="$sock" --user=root ping; }

write_config() {
  local run_as=""
  [ "$(id -u)" -eq 0 ] && run_as="user = mysql"
  cat > "$cnf" <<CNF
[mariadbd]
$run_as
datadir = $dir/data
socket = $sock
pid-file = $dir/mariadbd.pid
log-error = $dir/error.log
port = $port
bind-address = 127.0.0.1
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
skip-log-bin
innodb_buffer_pool_size = ${MARIADB_BUFFER_POOL:-512M}
innodb_log_file_size = 256M
# A local development and test server: trade durability for speed.
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
max_connections = 300
max_allowed_packet = 64M
CNF
}

case "$action" in
  start)
    ensure_packages mariadbd mariadb-server mariadb mariadb-client
    mkdir -p "$dir"
    if [ -S "$sock" ] && ping >/dev/null 2>&1; then log "mariadb already answering on 127.0.0.1:$port"; exit 0; fi
    write_config
    # The server runs as `mysql` when we are root: it must own its folder, or
    # it exits without a word (it cannot even write its error log).
    [ "$(id -u)" -eq 0 ] && chown -R mysql:mysql "$dir"
    if [ ! -d "$dir/data/mysql" ]; then
      log "initialising mariadb datadir in $dir/data"
      mariadb-install-db --defaults-file="$cnf" --auth-root-authentication-method=socket \
        --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
    fi
    nohup mariadbd --defaults-file="$cnf" >/dev/null 2>&1 &
    wait_until 30 ping || { log "mariadb did not start; see $dir/error.log"; tail -20 "$dir/error.log" >&2 || true; exit 1; }
    mariadb --socket="$sock" --user=root <<SQL
CREATE DATABASE IF NOT EXISTS \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$db_password';
CREATE USER IF NOT EXISTS '$db_user'@'localhost' IDENTIFIED BY '$db_password';
GRANT ALL PRIVILEGES ON \`$db_name\`.* TO '$db_user'@'127.0.0.1', '$db_user'@'localhost';
GRANT ALL PRIVILEGES ON \`test\\_%\`.* TO '$db_user'@'127.0.0.1', '$db_user'@'localhost';
FLUSH PRIVILEGES;
SQL
    log "mariadb started on 127.0.0.1:$port (database $db_name, user $db_user)"
    ;;
  stop)
    if [ -S "$sock" ] && ping >/dev/null 2>&1; then
      mariadb-admin --socket="$sock" --user=root shutdown
      log "mariadb on port $port stopped"
    fi
    ;;
  status)
    if [ -S "$sock" ] && ping >/dev/null 2>&1; then echo "mariadb up on 127.0.0.1:$port"; else echo "mariadb down on 127.0.0.1:$port"; exit 1; fi
    ;;
  *) log "usage: $0 start|stop|status [PORT]"; exit 2 ;;
esac
