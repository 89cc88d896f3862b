#!/usr/bin/env bash
# `make bench-shop`: the test services and the million-product catalog, then a shop's
# traffic (details, listings, searches and writes at once), layer on and off.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bench_catalog
.venv/bin/python -m bench.shop_mix
