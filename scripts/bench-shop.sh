#!/usr/bin/env bash
# `make bench-shop`: the test services and the million-product catalog, then a shop's
# traffic (details, listings, searches and writes at once), layer on and off.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_packages wrk wrk
start_test_services
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_catalog --products "${BENCH_PRODUCTS:-1000000}" --categories "${BENCH_CATEGORIES:-100}"
.venv/bin/python manage.py rebuild_search_index --if-empty
.venv/bin/python -m bench.shop_mix
