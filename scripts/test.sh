#!/usr/bin/env bash
# `make test`: start the test services (their own ports, so a running
# `make run` is left alone), lint, run the whole suite, stop what we started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

REDIS_PORT="${TEST_REDIS_PORT:-6391}"
MARIADB_PORT="${TEST_MARIADB_PORT:-3317}"
started=()

stop_started() {
  for svc in "${started[@]}"; do
    case "$svc" in
      redis) scripts/redis.sh stop "$REDIS_PORT" || true ;;
      mariadb) scripts/mariadb.sh stop "$MARIADB_PORT" || true ;;
    esac
  done
}
trap stop_started EXIT

if ! scripts/redis.sh status "$REDIS_PORT" >/dev/null 2>&1; then
  scripts/redis.sh start "$REDIS_PORT"; started+=(redis)
fi
if ! scripts/mariadb.sh status "$MARIADB_PORT" >/dev/null 2>&1; then
  scripts/mariadb.sh start "$MARIADB_PORT"; started+=(mariadb)
fi

export DATABASE_URL="mysql://${MARIADB_USER:-shop}:${MARIADB_PASSWORD:-shop}@127.0.0.1:$MARIADB_PORT/${MARIADB_DATABASE:-shop}"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/1"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$REDIS_PORT/2"
export SECRET_KEY="${SECRET_KEY:-test-only-secret-key-not-for-production}"
export DEBUG=False

.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { log "models changed without a migration: run manage.py makemigrations"; exit 1; }
.venv/bin/python -m pytest "$@"
