#!/usr/bin/env bash
# `make bench-workload`: the test services and a seeded catalog, then the Zipf workload.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages wrk wrk
start_test_services
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_catalog --products "${BENCH_PRODUCTS:-1000000}" --categories "${BENCH_CATEGORIES:-100}"
.venv/bin/python manage.py rebuild_search_index
.venv/bin/python -m bench.workload
