#!/usr/bin/env bash
# `make bench-capacity`: the test services and a catalog of BENCH_PRODUCTS products (200,000
# unless set; `make bench` runs the same on its million), then the capacity figures alone:
# bench/capacity.py → bench/CAPACITY_RESULTS.md, the figures docs/capacity.md plans from.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export BENCH_PRODUCTS="${BENCH_PRODUCTS:-200000}"
bench_catalog
.venv/bin/python -m bench.capacity
