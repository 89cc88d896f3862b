#!/usr/bin/env bash
# `make test`: start the test services (their own ports, so a running
# `make run` is left alone), lint, run the whole suite, then the cache suite a
# second time with L2 and sessions on a Redis Cluster; stop what we started.
#   TEST_CLUSTER=0     the first pass only;  TEST_CLUSTER=only  the cluster pass only
#   CLUSTER_TESTS="caching/tests/test_layer.py ..."   what the cluster pass runs
# Arguments go to the first pass (to the cluster pass with TEST_CLUSTER=only).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# What the cluster pass runs: the layer, the data types' cache tests and sessions.
# The rest of the suite reaches Redis through these, or tests what a cluster does not change.
read -r -d '' -a CLUSTER_TESTS <<< "${CLUSTER_TESTS:-caching/tests
  catalog/tests/test_cache.py catalog/tests/test_invalidation_rules.py catalog/tests/test_warming.py
  carts/tests/test_cache.py profiles/tests/test_cache.py orders/tests/test_cache.py sessions_app/tests}" || true
TEST_CLUSTER="${TEST_CLUSTER:-1}"

start_test_services
# The admin dashboard's test drives Debian's chromium (Playwright downloads no browser);
# only the tests need it, so `make run` does not install it.
ensure_packages chromium chromium

.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null \
  || { log "models changed without a migration: run manage.py makemigrations"; exit 1; }
if [ "$TEST_CLUSTER" != only ]; then
  .venv/bin/python -m pytest "$@"
fi
if [ "$TEST_CLUSTER" != 0 ]; then
  start_test_cluster
  [ "$TEST_CLUSTER" = only ] || set --
  log "the cache suite again, L2 and sessions on the Redis Cluster on port $REDIS_CLUSTER_PORT"
  # The Celery broker and the other stores stay on the standalone store Redis.
  CACHING_REDIS_URL="$REDIS_CLUSTER_URL" CACHING_REDIS_CLUSTER=true \
    SESSIONS_REDIS_URL="$REDIS_CLUSTER_URL" SESSIONS_REDIS_CLUSTER=true \
    .venv/bin/python -m pytest "${CLUSTER_TESTS[@]}" "$@"
fi
