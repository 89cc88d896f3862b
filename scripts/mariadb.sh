#!/usr/bin/env bash
# Start or stop a MariaDB server on a loopback port, without systemd.
#   scripts/mariadb.sh start|stop|status [PORT]
# The datadir, socket, pid and log live under .data/mariadb-PORT/. `start` is
# idempotent and creates the app user (MARIADB_USER / MARIADB_PASSWORD) with
# rights on its database and on the test_* databases pytest-django creates.
# As root the server runs as `mysql`; when `mysql` cannot reach .data/ (a clone
# under /root or a 0700 folder), the files live in /var/lib/shop-mariadb/ and
# .data/mariadb-PORT is a symlink to them.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
port="${2:-${MARIADB_PORT:-3317}}"
dir="$DATA_DIR/mariadb-$port"
# The real path: a socket path must stay under 108 bytes, and the server's own
# paths must not pass through a folder `mysql` cannot enter.
set_paths() {
  real="$(readlink -f "$dir" 2>/dev/null || echo "$dir")"
  cnf="$real/my.cnf"
  sock="$real/mysqld.sock"
}
set_paths
db_name="${MARIADB_DATABASE:-shop}"
db_user="${MARIADB_USER:-shop}"
db_password="${MARIADB_PASSWORD:-shop}"

ping() { mariadb-admin --socket="$sock" --user=root ping; }

# binlog_config: a primary of replicas (MARIADB_SERVER_ID set, MARIADB_ROLE=primary) logs
# row events with GTIDs; a replica (MARIADB_ROLE=replica) applies them, read-only; a
# lone server keeps no binlog.
binlog_config() {
  case "${MARIADB_ROLE:-}" in
    primary) printf 'server-id = %s\nlog-bin = %s/binlog\nbinlog-format = ROW\n' "${MARIADB_SERVER_ID:-1}" "$real" ;;
    replica) printf 'server-id = %s\nskip-log-bin\nrelay-log = %s/relay\nread-only = 1\n' "${MARIADB_SERVER_ID:-2}" "$real" ;;
    *) echo skip-log-bin ;;
  esac
}

write_config() {
  local run_as=""
  [ "$(id -u)" -eq 0 ] && run_as="user = mysql"
  cat > "$cnf" <<CNF
[mariadbd]
$run_as
datadir = $real/data
socket = $sock
pid-file = $real/mariadbd.pid
log-error = $real/error.log
port = $port
bind-address = 127.0.0.1
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
$(binlog_config)
innodb_buffer_pool_size = ${MARIADB_BUFFER_POOL:-512M}
innodb_log_file_size = 256M
# A local development and test server: trade durability for speed.
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
max_connections = 300
max_allowed_packet = 64M
CNF
}

# place_dir: create .data/mariadb-PORT, or, when root and `mysql` cannot reach it, a
# folder of mysql's own under /var/lib/shop-mariadb/ linked from there.
place_dir() {
  make_data_dir
  if [ "$(id -u)" -ne 0 ] || runuser -u mysql -- test -x "$DATA_DIR" 2>/dev/null; then
    mkdir -p "$dir"; return
  fi
  local target
  if [ -L "$dir" ]; then
    target="$(readlink "$dir")"
  else
    target="/var/lib/shop-mariadb/$(printf '%s' "$DATA_DIR" | sha256sum | cut -c1-12)-$port"
    mkdir -p /var/lib/shop-mariadb
    chmod 755 /var/lib/shop-mariadb
    # A folder left from when mysql could reach .data/ moves along with its data.
    if [ -d "$dir" ] && [ ! -e "$target" ]; then mv "$dir" "$target"; fi
    [ -d "$dir" ] && { log "both $dir and $target exist; remove one"; exit 1; }
    ln -s "$target" "$dir"
    log "mysql cannot reach $DATA_DIR: the mariadb files go to $target"
  fi
  mkdir -p "$target"
  chmod 750 "$target"
}

case "$action" in
  start)
    ensure_packages mariadbd mariadb-server mariadb mariadb-client
    place_dir
    set_paths
    if [ -S "$sock" ] && ping >/dev/null 2>&1; then log "mariadb already answering on 127.0.0.1:$port"; exit 0; fi
    write_config
    # The server runs as `mysql` when we are root: it must own its folder, or
    # it exits without a word (it cannot even write its error log).
    [ "$(id -u)" -eq 0 ] && chown -R mysql:mysql "$real"
    if [ ! -d "$real/data/mysql" ]; then
      log "initialising mariadb datadir in $real/data"
      mariadb-install-db --defaults-file="$cnf" --auth-root-authentication-method=socket \
        --skip-test-db >"$real/install.log" 2>&1 || { cat "$real/install.log" >&2; exit 1; }
    fi
    nohup mariadbd --defaults-file="$cnf" >/dev/null 2>&1 &
    wait_until 30 ping || { log "mariadb did not start; see $real/error.log"; tail -20 "$real/error.log" >&2 || true; exit 1; }
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
