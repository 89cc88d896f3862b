#!/usr/bin/env bash
# Start or stop a redis-server on a loopback port, without systemd.
#   scripts/redis.sh start|stop|status [PORT]
# Data, pid and log live under .data/redis-PORT/. `start` is idempotent.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
port="${2:-${REDIS_PORT:-6390}}"
dir="$DATA_DIR/redis-$port"
pidfile="$dir/redis.pid"

ping() { redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; }

case "$action" in
  start)
    ensure_packages redis-server redis-server redis-cli redis-tools
    if ping; then log "redis already answering on 127.0.0.1:$port"; exit 0; fi
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
      --pidfile "$pidfile" --dir "$dir" --logfile "$dir/redis.log" \
      --save "" --appendonly no --maxmemory "${REDIS_MAXMEMORY:-512mb}" \
      --maxmemory-policy allkeys-lru
    wait_until 10 ping || { log "redis did not start; see $dir/redis.log"; exit 1; }
    log "redis started on 127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$pidfile")"
      wait_until 10 bash -c "! kill -0 $(cat "$pidfile" 2>/dev/null || echo 0) 2>/dev/null" || true
      log "redis on port $port stopped"
    fi
    ;;
  status)
    if ping; then echo "redis up on 127.0.0.1:$port"; else echo "redis down on 127.0.0.1:$port"; exit 1; fi
    ;;
  *) log "usage: $0 start|stop|status [PORT]"; exit 2 ;;
esac
