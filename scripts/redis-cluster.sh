#!/usr/bin/env bash
# A password-protected Redis Cluster on loopback, 3 masters and 3 replicas, without systemd.
#   scripts/redis-cluster.sh start|stop|status [PORT]   nodes on PORT .. PORT+5 (bus: +10000)
#   scripts/redis-cluster.sh url PORT                   prints redis://:PASSWORD@127.0.0.1:PORT/0
# Each node lives in .data/redis-P/ like a standalone server of scripts/redis.sh (same
# password file, pidfile), so `redis.sh stop P` and `make services-stop` stop it too.
# The cluster holds a cache: `start` builds it afresh unless all six nodes already agree.
source "$(dirname "$0")/lib.sh"

action="${1:-status}"
first="${2:-${REDIS_CLUSTER_PORT:-7390}}"
ports=("$first" $((first + 1)) $((first + 2)) $((first + 3)) $((first + 4)) $((first + 5)))
pwfile="$DATA_DIR/redis-$first/password"   # the first node's; every node has a copy

cli() {  # cli PORT ARGS...: REDISCLI_AUTH keeps the password out of `ps`
  local port="$1"; shift
  REDISCLI_AUTH="$(cat "$pwfile")" redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" "$@"
}

cluster_ok() {
  local port
  [ -s "$pwfile" ] || return 1
  for port in "${ports[@]}"; do
    cli "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

# replicas_synced: three replicas, each with its link to its master up; a failover (and
# a test that reads from a replica) wants that, not just cluster_state:ok.
replicas_synced() {
  local port synced=0
  for port in "${ports[@]}"; do
    cli "$port" info replication 2>/dev/null | grep -q '^master_link_status:up' && synced=$((synced + 1))
  done
  [ "$synced" -eq 3 ]
}

stop_nodes() {
  local port
  for port in "${ports[@]}"; do "$ROOT/scripts/redis.sh" stop "$port" >/dev/null 2>&1 || true; done
}

start_node() {
  local port="$1" dir="$DATA_DIR/redis-$1"
  rm -rf "$dir"; (umask 077; mkdir -p "$dir"; printf '%s' "$password" > "$dir/password")
  # The password from a 0600 config file, never the command line; masterauth lets replicas sync.
  (umask 077; cat > "$dir/redis.conf" <<CONF
port $port
bind 127.0.0.1
protected-mode yes
daemonize yes
pidfile "$dir/redis.pid"
dir "$dir"
logfile "$dir/redis.log"
save ""
appendonly no
maxmemory ${REDIS_MAXMEMORY:-256mb}
maxmemory-policy allkeys-lru
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
requirepass $password
masterauth $password
CONF
  )
  redis-server "$dir/redis.conf"
}

case "$action" in
  start)
    ensure_packages redis-server redis-server redis-cli redis-tools
    make_data_dir
    if cluster_ok; then log "redis cluster already up on 127.0.0.1:$first-$((first + 5))"; exit 0; fi
    for port in "${ports[@]}"; do
      # Someone else's server on one of our ports: refuse rather than take it over.
      if [ ! -f "$DATA_DIR/redis-$port/redis.pid" ] && redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        log "a redis not started here holds port $port"; exit 1
      fi
    done
    stop_nodes   # half a cluster from an earlier run: its nodes.conf would not agree with a new one
    password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"   # hex, so URL-safe
    for port in "${ports[@]}"; do start_node "$port"; done
    for port in "${ports[@]}"; do
      wait_until 10 cli "$port" ping || { log "redis on $port did not start; see $DATA_DIR/redis-$port/redis.log"; exit 1; }
    done
    REDISCLI_AUTH="$(cat "$pwfile")" redis-cli --no-auth-warning --cluster create \
      "${ports[@]/#/127.0.0.1:}" --cluster-replicas 1 --cluster-yes >/dev/null
    # Every node's view agrees and the replicas have synced (about 3 s).
    wait_until 30 cluster_ok && wait_until 30 replicas_synced \
      || { log "redis cluster on $first-$((first + 5)) did not come up"; exit 1; }
    log "redis cluster started on 127.0.0.1:$first-$((first + 5)) (password in $pwfile)"
    ;;
  stop)
    stop_nodes
    log "redis cluster on $first-$((first + 5)) stopped"
    ;;
  status)
    if cluster_ok; then echo "redis cluster up on 127.0.0.1:$first-$((first + 5))"
    else echo "redis cluster down on 127.0.0.1:$first-$((first + 5))"; exit 1; fi
    ;;
  url)
    [ -s "$pwfile" ] || { log "no cluster on $first yet: scripts/redis-cluster.sh start $first"; exit 1; }
    echo "redis://:$(cat "$pwfile")@127.0.0.1:$first/0"
    ;;
  *) log "usage: $0 start|stop|status [PORT] | url PORT"; exit 2 ;;
esac
