#!/usr/bin/env bash
# `make bench-micro`: the test services, then the cache layer's micro-benchmarks.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
start_test_services
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python -m bench.micro
