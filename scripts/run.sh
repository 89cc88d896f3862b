#!/usr/bin/env bash
# `make run`: start what is missing, migrate, load a demo catalog when the database is
# empty, then serve gunicorn + Celery worker + beat (Procfile) until Ctrl-C or SIGTERM,
# which stop everything this run started, the redis-server included.
# What it chose is written to .data/run.env (0600) so that later commands
# (manage.py createsuperuser, warm_cache, celery) reach the same services.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export PORT="${PORT:-8000}" DATA_DIR
make_data_dir

started_redis=()
started_moto=""
honcho_pid=""
stop_all() {
  trap - INT TERM EXIT
  if [ -n "$honcho_pid" ]; then
    kill -TERM "$honcho_pid" 2>/dev/null || true
    wait "$honcho_pid" 2>/dev/null || true
  fi
  for port in "${started_redis[@]}"; do scripts/redis.sh stop "$port" || true; done
  if [ -n "$started_moto" ]; then scripts/moto.sh stop "$started_moto" || true; fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

if [ -z "${REDIS_URL:-}" ]; then
  # Two Redis roles: the cache (evicts) and the store of sessions and the broker (never does).
  redis_port="${REDIS_PORT:-6390}"
  store_port="${REDIS_STORE_PORT:-$((redis_port + 2))}"
  mapfile -t started_redis < <(start_redis_pair "$redis_port" "$store_port")
  require_redis "$redis_port" "$store_port"
  export_redis_urls "$redis_port" "$store_port"
fi

# CloudFront, locally: CLOUDFRONT_DISTRIBUTION_ID=local (and no AWS_ENDPOINT_URL) starts
# moto's server and creates a distribution there; catalog edits then reach it through the
# CDN outbox (manage.py shell: boto3's list_invalidations shows them).
if [ "${CLOUDFRONT_DISTRIBUTION_ID:-}" = local ] && [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  moto_port="${MOTO_PORT:-5005}"
  if ! scripts/moto.sh status "$moto_port" >/dev/null 2>&1; then
    scripts/moto.sh start "$moto_port"
    started_moto="$moto_port"
  fi
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
  CLOUDFRONT_DISTRIBUTION_ID="$(.venv/bin/python manage.py create_local_distribution)"
  export CLOUDFRONT_DISTRIBUTION_ID
  log "CloudFront (moto) distribution $CLOUDFRONT_DISTRIBUTION_ID at $AWS_ENDPOINT_URL"
fi

# Only what this run chose, and DATABASE_URL when it was given: unset, the settings'
# SQLite default applies to every command alike.
(
  umask 077
  for name in REDIS_URL REDIS_STORE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND DATABASE_URL \
              CLOUDFRONT_DISTRIBUTION_ID AWS_ENDPOINT_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    if [ -n "${!name:-}" ]; then printf '%s=%s\n' "$name" "${!name}"; fi
  done > "$DATA_DIR/run.env.$$"
)
mv -f "$DATA_DIR/run.env.$$" "$DATA_DIR/run.env"
export SHOP_ENV_FILE="$DATA_DIR/run.env"

# The SQLite file, when the database is one, holds password hashes and sessions:
# created 0600 before migrate (SQLite gives its journals the same mode).
sqlite_file="$(DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-shop.settings}" .venv/bin/python -c '
from django.conf import settings
db = settings.DATABASES["default"]
print(db["NAME"] if "sqlite" in db["ENGINE"] and str(db["NAME"]) != ":memory:" else "")')"
if [ -n "$sqlite_file" ]; then
  mkdir -p "$(dirname "$sqlite_file")"
  (umask 077; touch "$sqlite_file")
  chmod 600 "$sqlite_file"
fi

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput >/dev/null
.venv/bin/python manage.py seed_catalog --if-empty \
  --products "${DEMO_PRODUCTS:-2000}" --categories "${DEMO_CATEGORIES:-20}"
.venv/bin/python manage.py rebuild_search_index --if-empty
if [ -n "$sqlite_file" ]; then chmod 600 "$sqlite_file"; fi

# prometheus-client's multiprocess mode: every gunicorn worker and Celery process writes
# its metrics here and /metrics adds them up; emptied at each start (values of processes
# that no longer exist would be added to the new ones).
export PROMETHEUS_MULTIPROC_DIR="$DATA_DIR/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

log "serving on http://127.0.0.1:$PORT/api/v1/products/ (Ctrl-C stops everything)"
.venv/bin/honcho start -f Procfile -p "$PORT" &
honcho_pid=$!
# `wait` returns early when a trapped signal arrives; the trap then stops everything.
status=0
wait "$honcho_pid" || status=$?
honcho_pid=""
exit "$status"
