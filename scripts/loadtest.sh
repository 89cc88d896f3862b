#!/usr/bin/env bash
# `make loadtest`: services, a seeded catalog and users, gunicorn, then Locust headless.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
.venv/bin/pip install -q --disable-pip-version-check -r requirements-bench.txt 2>&1 | grep -v "is ignored" || true
start_test_services
export LOADTEST_PRODUCTS="${LOADTEST_PRODUCTS:-10000}" LOADTEST_USERS="${LOADTEST_USERS:-50}"
# A throwaway password for throwaway users, never stored in the repository.
export LOADTEST_PASSWORD="${LOADTEST_PASSWORD:-$(head -c 18 /dev/urandom | base64)}"
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_catalog --products "$LOADTEST_PRODUCTS" --categories 50
.venv/bin/python manage.py rebuild_search_index
.venv/bin/python -m bench.loadtest_users "$LOADTEST_USERS"
port="${LOADTEST_PORT:-8098}"
DJANGO_SETTINGS_MODULE=shop.settings .venv/bin/gunicorn shop.wsgi:application --bind "127.0.0.1:$port" \
  --workers 2 --no-control-socket --log-level warning &
gunicorn_pid=$!
trap 'kill $gunicorn_pid 2>/dev/null; stop_started_services' EXIT
wait_until 30 curl -sf "http://127.0.0.1:$port/healthz"
mkdir -p bench/out
.venv/bin/locust -f bench/locustfile.py --headless --host "http://127.0.0.1:$port" \
  --users "${LOADTEST_CLIENTS:-40}" --spawn-rate 10 --run-time "${LOADTEST_TIME:-60s}" \
  --csv bench/out/locust --html bench/out/locust.html --only-summary
