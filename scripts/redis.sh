#!/usr/bin/env bash
# Start or stop a password-protected redis-server on a loopback port, without systemd.
#   scripts/redis.sh start|stop|status [PORT]
#   scripts/redis.sh url PORT [DB]     prints redis://:PASSWORD@127.0.0.1:PORT/DB
# Data, pid, log, config and password live under .data/redis-PORT/. The password is
# generated once per port (hex, so URL-safe) and reused; the server reads it from a
# 0600 config file, never from its command line, where `ps` would show it.
# REDIS_MAXMEMORY (1gb) and REDIS_MAXMEMORY_POLICY (allkeys-lru) size the server.
# `start` is idempotent.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
port="${2:-${REDIS_PORT:-6390}}"
dir="$DATA_DIR/redis-$port"
pidfile="$dir/redis.pid"
pwfile="$dir/password"
conf="$dir/redis.conf"

# cli ARGS...: redis-cli with the port's password; REDISCLI_AUTH keeps it out of `ps`.
cli() {
  if [ -s "$pwfile" ]; then
    REDISCLI_AUTH="$(cat "$pwfile")" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$port" "$@"
  fi
}

# state: ok (answers to our password), open (answers without any password),
# locked (wants a password we do not have) or down.
state() {
  local reply
  reply="$(cli ping 2>/dev/null)" || true
  case "$reply" in
    PONG)
      if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then echo open; else echo ok; fi ;;
    *NOAUTH*|*WRONGPASS*) echo locked ;;
    *) echo down ;;
  esac
}

answers() { [ "$(state)" = ok ]; }

ensure_password() {
  if [ ! -s "$pwfile" ]; then
    (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$pwfile.$$")
    mv -n "$pwfile.$$" "$pwfile" || true   # a concurrent start may have won: keep its password
    rm -f "$pwfile.$$"
  fi
  chmod 600 "$pwfile"
}

write_config() {
  (umask 077; cat > "$conf.$$" <<CONF
port $port
bind 127.0.0.1
protected-mode yes
daemonize yes
pidfile "$pidfile"
dir "$dir"
logfile "$dir/redis.log"
save ""
appendonly no
maxmemory ${REDIS_MAXMEMORY:-1gb}
maxmemory-policy ${REDIS_MAXMEMORY_POLICY:-allkeys-lru}
requirepass $(cat "$pwfile")
CONF
  )
  mv -f "$conf.$$" "$conf"
}

stop_server() {
  local pid
  [ -f "$pidfile" ] && pid="$(cat "$pidfile")" && kill -0 "$pid" 2>/dev/null || return 0
  cli shutdown nosave >/dev/null 2>&1 || true
  # SIGTERM when the shutdown was refused (a password we do not have), but only to a redis-server.
  if ! wait_until 5 gone "$pid" && grep -q redis-server "/proc/$pid/comm" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait_until 10 gone "$pid" || true
  fi
  log "redis on port $port stopped"
}

case "$action" in
  start)
    ensure_packages redis-server redis-server redis-cli redis-tools
    make_data_dir
    (umask 077; mkdir -p "$dir")
    ensure_password
    case "$(state)" in
      ok) log "redis already answering on 127.0.0.1:$port"; exit 0 ;;
      open|locked)
        # One of ours from before passwords (or whose password file was lost): restart
        # it with the password. Anyone else's server is left alone.
        [ -f "$pidfile" ] || { log "a redis not started here holds port $port"; exit 1; }
        log "restarting the redis on port $port with the password in $pwfile"
        stop_server ;;
    esac
    write_config
    redis-server "$conf"
    wait_until 10 answers || { log "redis did not start; see $dir/redis.log"; exit 1; }
    log "redis started on 127.0.0.1:$port (password in $pwfile)"
    ;;
  stop)
    stop_server
    ;;
  status)
    case "$(state)" in
      ok) echo "redis up on 127.0.0.1:$port" ;;
      open) echo "redis on 127.0.0.1:$port has no password (scripts/redis.sh start $port restarts it with one)"; exit 3 ;;
      locked) echo "redis on 127.0.0.1:$port refuses the password in $pwfile"; exit 1 ;;
      *) echo "redis down on 127.0.0.1:$port"; exit 1 ;;
    esac
    ;;
  url)
    [ -s "$pwfile" ] || { log "no password for port $port yet: scripts/redis.sh start $port"; exit 1; }
    echo "redis://:$(cat "$pwfile")@127.0.0.1:$port/${3:-0}"
    ;;
  *) log "usage: $0 start|stop|status [PORT] | url PORT [DB]"; exit 2 ;;
esac
