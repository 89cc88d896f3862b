#!/usr/bin/env bash
# `make bench`: the test services, a migrated catalog of a million products, then every
# figure in one run: HTTP variants, behaviour under a stampede and a Redis outage, and
# the Zipf workload (BENCH_WORKLOAD=0 skips it), then the capacity figures (BENCH_CAPACITY=0
# skips them; bench/CAPACITY_RESULTS.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
.venv/bin/pip install -q --disable-pip-version-check -r requirements-bench.txt 2>&1 | grep -v "is ignored" || true
bench_catalog
if [ "${BENCH_WORKLOAD:-1}" = "0" ]; then
  .venv/bin/python -m bench.http
else
  .venv/bin/python -m bench.http --with-workload
fi
[ "${BENCH_CAPACITY:-1}" = "0" ] || .venv/bin/python -m bench.capacity
