#!/usr/bin/env bash
# `make bench-workload`: the test services and a seeded catalog, then the Zipf workload.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bench_catalog
.venv/bin/python -m bench.workload
