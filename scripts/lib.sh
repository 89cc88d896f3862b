# Shared helpers for the service scripts: sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${DATA_DIR:-$ROOT/.data}"
case "$DATA_DIR" in /*) ;; *) DATA_DIR="$PWD/$DATA_DIR" ;; esac

log() { printf '%s\n' "$*" >&2; }

# make_data_dir: .data/ stays 0755 whatever the umask: MariaDB, running as `mysql`,
# passes through it. The secrets inside are 0600 each.
make_data_dir() { [ -d "$DATA_DIR" ] || mkdir -p -m 755 "$DATA_DIR"; }

# ensure_packages CMD PKG [CMD PKG ...]: install the Debian packages whose
# command is missing, when we are root; otherwise say what to install.
ensure_packages() {
  local missing=() cmd pkg
  while [ $# -gt 0 ]; do
    cmd="$1"; pkg="$2"; shift 2
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}

# apt_install PKG...: install Debian packages when root, else say how.
apt_install() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing OS packages: $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    log "missing OS packages: $*"
    log "install them with: sudo apt-get install -y $*"
    exit 1
  fi
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
  local limit=$(( $1 * 10 )); shift
  local i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -ge "$limit" ] && return 1
    sleep 0.1
  done
}

# gone PID: the process has exited (a zombie counts: here nobody may reap it soon).
gone() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  [ "$(echo "${stat##*) }" | cut -d' ' -f1)" = Z ]
}

# start_test_services: redis-server and MariaDB on the test ports (so a running
# `make run` is left alone), their URLs exported; what this call started is
# stopped when the calling script exits. Tests never read `make run`'s .data/run.env.
# start_redis_pair CACHE_PORT STORE_PORT: the two Redis roles, each started when not
# running: the cache (may evict: allkeys-lru) and the store of sessions and the Celery
# broker (never evicts). Prints the ports it started, one per line.
start_redis_pair() {
  if ! "$ROOT/scripts/redis.sh" status "$1" >/dev/null 2>&1; then
    REDIS_MAXMEMORY_POLICY=allkeys-lru "$ROOT/scripts/redis.sh" start "$1" >&2; echo "$1"
  fi
  if ! "$ROOT/scripts/redis.sh" status "$2" >/dev/null 2>&1; then
    REDIS_MAXMEMORY="${REDIS_STORE_MAXMEMORY:-256mb}" REDIS_MAXMEMORY_POLICY=noeviction \
      "$ROOT/scripts/redis.sh" start "$2" >&2; echo "$2"
  fi
}

# require_redis PORT...: stop here when one of them is not answering.
require_redis() {
  local port
  for port in "$@"; do
    "$ROOT/scripts/redis.sh" status "$port" >/dev/null 2>&1 || { log "redis on port $port did not start"; exit 1; }
  done
}

# export_redis_urls CACHE_PORT STORE_PORT: REDIS_URL (the cache), REDIS_STORE_URL
# (sessions) and the Celery URLs (the store's databases 1 and 2), with their passwords.
export_redis_urls() {
  REDIS_URL="$("$ROOT/scripts/redis.sh" url "$1" 0)"
  REDIS_STORE_URL="$("$ROOT/scripts/redis.sh" url "$2" 0)"
  CELERY_BROKER_URL="${CELERY_BROKER_URL:-$("$ROOT/scripts/redis.sh" url "$2" 1)}"
  CELERY_RESULT_BACKEND="${CELERY_RESULT_BACKEND:-$("$ROOT/scripts/redis.sh" url "$2" 2)}"
  export REDIS_URL REDIS_STORE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND
}

start_test_services() {
  REDIS_PORT="${TEST_REDIS_PORT:-6391}"
  REDIS_STORE_PORT="${TEST_REDIS_STORE_PORT:-$((REDIS_PORT + 2))}"
  MARIADB_PORT="${TEST_MARIADB_PORT:-3317}"
  STARTED_SERVICES=()
  STARTED_REDIS=()
  trap stop_started_services EXIT
  mapfile -t STARTED_REDIS < <(start_redis_pair "$REDIS_PORT" "$REDIS_STORE_PORT")
  require_redis "$REDIS_PORT" "$REDIS_STORE_PORT"
  if ! "$ROOT/scripts/mariadb.sh" status "$MARIADB_PORT" >/dev/null 2>&1; then
    "$ROOT/scripts/mariadb.sh" start "$MARIADB_PORT"; STARTED_SERVICES+=(mariadb)
  fi
  export DATABASE_URL="mysql://${MARIADB_USER:-shop}:${MARIADB_PASSWORD:-shop}@127.0.0.1:$MARIADB_PORT/${MARIADB_DATABASE:-shop}"
  unset CELERY_BROKER_URL CELERY_RESULT_BACKEND CLOUDFRONT_DISTRIBUTION_ID AWS_ENDPOINT_URL
  export_redis_urls "$REDIS_PORT" "$REDIS_STORE_PORT"
  export SHOP_ENV_FILE=""
  export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production}"
  export DEBUG=False
}

# bench_catalog: the test services (stopped at exit) and the benchmarks' catalog,
# BENCH_PRODUCTS products (a million) migrated, seeded and indexed for search.
bench_catalog() {
  ensure_packages wrk wrk
  start_test_services
  "$ROOT/.venv/bin/python" manage.py migrate --noinput -v0
  "$ROOT/.venv/bin/python" manage.py seed_catalog --products "${BENCH_PRODUCTS:-1000000}" \
    --categories "${BENCH_CATEGORIES:-100}"
  "$ROOT/.venv/bin/python" manage.py rebuild_search_index
}

# start_test_cluster: a 3-master, 3-replica Redis Cluster on TEST_REDIS_CLUSTER_PORT .. +5
# (default: the test Redis port + 1000, so runs on other test ports do not clash), stopped at
# exit when this call started it; its URL (with the password) in REDIS_CLUSTER_URL.
start_test_cluster() {
  REDIS_CLUSTER_PORT="${TEST_REDIS_CLUSTER_PORT:-$((REDIS_PORT + 1000))}"
  if ! "$ROOT/scripts/redis-cluster.sh" status "$REDIS_CLUSTER_PORT" >/dev/null 2>&1; then
    "$ROOT/scripts/redis-cluster.sh" start "$REDIS_CLUSTER_PORT"; STARTED_SERVICES+=(redis-cluster)
  fi
  REDIS_CLUSTER_URL="$("$ROOT/scripts/redis-cluster.sh" url "$REDIS_CLUSTER_PORT")"
}

stop_started_services() {
  for port in "${STARTED_REDIS[@]}"; do "$ROOT/scripts/redis.sh" stop "$port" || true; done
  for svc in "${STARTED_SERVICES[@]}"; do
    case "$svc" in
      mariadb) "$ROOT/scripts/mariadb.sh" stop "$MARIADB_PORT" || true ;;
      redis-cluster) "$ROOT/scripts/redis-cluster.sh" stop "$REDIS_CLUSTER_PORT" || true ;;
    esac
  done
}
