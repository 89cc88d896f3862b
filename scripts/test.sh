#!/usr/bin/env bash
# `make test`: start the test services (their own ports, so a running
# `make run` is left alone), lint, run the whole suite, stop what we started.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

start_test_services

.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { log "models changed without a migration: run manage.py makemigrations"; exit 1; }
.venv/bin/python -m pytest "$@"
