#!/usr/bin/env bash
# `make bench`: the test services, a migrated and seeded catalog, then the HTTP benchmark.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages wrk wrk
.venv/bin/pip install -q --disable-pip-version-check -r requirements-bench.txt 2>&1 | grep -v "is ignored" || true
start_test_services
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_catalog --products "${BENCH_PRODUCTS:-10000}" --categories "${BENCH_CATEGORIES:-50}"
.venv/bin/python -m bench.http
