#!/usr/bin/env bash
# `make run`: start what is missing, migrate, load a demo catalog when the
# database is empty, then serve gunicorn + Celery worker + beat (Procfile).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

export PORT="${PORT:-8000}"
mkdir -p "$DATA_DIR"

if [ -z "${REDIS_URL:-}" ]; then
  scripts/redis.sh start "${REDIS_PORT:-6390}"
  export REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6390}/0"
  export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:${REDIS_PORT:-6390}/1}"
  export CELERY_RESULT_BACKEND="${CELERY_RESULT_BACKEND:-redis://127.0.0.1:${REDIS_PORT:-6390}/2}"
fi
# DATABASE_URL unset: the settings fall back to an SQLite file under .data/.

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput >/dev/null
.venv/bin/python manage.py seed_catalog --if-empty \
  --products "${DEMO_PRODUCTS:-2000}" --categories "${DEMO_CATEGORIES:-20}"

log "serving on http://127.0.0.1:$PORT/api/v1/products/ (Ctrl-C stops everything)"
exec .venv/bin/honcho start -f Procfile -p "$PORT"
