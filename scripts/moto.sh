#!/usr/bin/env bash
# Start or stop moto's standalone server (AWS APIs: CloudFront, S3, CloudWatch) on a
# loopback port: what `make run`'s local stack uses instead of AWS.
#   scripts/moto.sh start|stop|status [PORT]      (MOTO_PORT, default 5005)
# Its state is in memory: a restart forgets every distribution and bucket.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
port="${2:-${MOTO_PORT:-5005}}"
dir="$DATA_DIR/moto-$port"
pidfile="$dir/moto.pid"

answers() {
  "$ROOT/.venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1
}

case "$action" in
  start)
    make_data_dir
    (umask 077; mkdir -p "$dir")
    if answers; then log "moto already answering on 127.0.0.1:$port"; exit 0; fi
    [ -x "$ROOT/.venv/bin/moto_server" ] || { log "moto_server missing: make venv"; exit 1; }
    nohup "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    echo $! > "$pidfile"
    wait_until 20 answers || { log "moto did not start; see $dir/moto.log"; exit 1; }
    log "moto started on 127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$pidfile" ] && pid="$(cat "$pidfile")" && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait_until 10 gone "$pid" || kill -9 "$pid" 2>/dev/null || true
      log "moto on port $port stopped"
    fi
    rm -f "$pidfile"
    ;;
  status)
    if answers; then echo "moto up on 127.0.0.1:$port"; else echo "moto down on 127.0.0.1:$port"; exit 1; fi
    ;;
  *) log "usage: $0 start|stop|status [PORT]"; exit 2 ;;
esac
