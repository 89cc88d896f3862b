#!/usr/bin/env bash
# `make bench-warm`: the test services and the million-product catalog, then the hit ratio
# of a shop's first 1,000 requests after a flush, by warming strategy (and prefetch).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bench_catalog
.venv/bin/python -m bench.warm_after_flush
