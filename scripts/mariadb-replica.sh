#!/usr/bin/env bash
# A MariaDB primary and a read replica of it on loopback ports, with real replication.
#   scripts/mariadb-replica.sh start|stop|status PRIMARY_PORT REPLICA_PORT
#   scripts/mariadb-replica.sh pause|resume REPLICA_PORT   (stop or restart applying events)
#   scripts/mariadb-replica.sh delay REPLICA_PORT SECONDS  (apply each event that long after it was written)
# Both are servers of scripts/mariadb.sh (.data/mariadb-PORT/): the primary keeps a row
# binlog with GTIDs, the replica is read-only and follows it from the primary's first
# event (MASTER_USE_GTID=slave_pos), so both must start from empty datadirs together.
# The app user may read the replica's SHOW SLAVE STATUS (SLAVE MONITOR): the router's
# lag check runs as that user.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
repl_password="${MARIADB_REPL_PASSWORD:-repl-local-only}"
db_user="${MARIADB_USER:-shop}"

as_root() { mariadb --socket="$(readlink -f "$DATA_DIR/mariadb-$1")/mysqld.sock" --user=root; }

case "$action" in
  start)
    primary="$2"; replica="$3"
    MARIADB_ROLE=primary MARIADB_SERVER_ID=1 "$ROOT/scripts/mariadb.sh" start "$primary"
    as_root "$primary" <<SQL
CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY '$repl_password';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
GRANT SLAVE MONITOR ON *.* TO '$db_user'@'127.0.0.1', '$db_user'@'localhost';
SQL
    MARIADB_ROLE=replica MARIADB_SERVER_ID=2 "$ROOT/scripts/mariadb.sh" start "$replica"
    running="$(as_root "$replica" <<<"SHOW SLAVE STATUS\G" | sed -n 's/^ *Slave_IO_Running: //p')"
    if [ "$running" != Yes ]; then
      as_root "$replica" <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$primary, MASTER_USER='repl',
  MASTER_PASSWORD='$repl_password', MASTER_USE_GTID=slave_pos;
START SLAVE;
SQL
    fi
    log "mariadb replica on 127.0.0.1:$replica follows 127.0.0.1:$primary"
    ;;
  stop)
    "$ROOT/scripts/mariadb.sh" stop "$3"
    "$ROOT/scripts/mariadb.sh" stop "$2"
    ;;
  status)
    "$ROOT/scripts/mariadb.sh" status "$2" && "$ROOT/scripts/mariadb.sh" status "$3" \
      && as_root "$3" <<<"SHOW SLAVE STATUS\G" | grep -E 'Slave_(IO|SQL)_Running:|Seconds_Behind_Master:'
    ;;
  pause) as_root "$2" <<<"STOP SLAVE SQL_THREAD" ;;
  resume) as_root "$2" <<<"START SLAVE SQL_THREAD" ;;
  delay) as_root "$2" <<<"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=${3:?seconds}; START SLAVE" ;;
  *) log "usage: $0 start|stop|status PRIMARY_PORT REPLICA_PORT | pause|resume REPLICA_PORT | delay REPLICA_PORT SECONDS"
     exit 2 ;;
esac
