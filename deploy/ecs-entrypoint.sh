#!/bin/sh
# Entry point of the shop's ECS tasks (deploy/app.yaml): builds the settings' URLs from the
# endpoints in the task's environment and the passwords ECS injects from Secrets Manager,
# then runs the command. Without those variables (docker compose) it changes nothing.
set -eu

quote() {  # percent-encode one URL component
  python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

if [ -n "${DATABASE_HOST:-}" ]; then
  credentials="$(quote "$DATABASE_USER"):$(quote "$DATABASE_PASSWORD")"
  DATABASE_URL="mysql://$credentials@$DATABASE_HOST:${DATABASE_PORT:-3306}/$DATABASE_NAME?ssl_mode=REQUIRED"
  export DATABASE_URL
  if [ -n "${DATABASE_READER_HOST:-}" ]; then
    DATABASE_REPLICA_URLS="mysql://$credentials@$DATABASE_READER_HOST:${DATABASE_PORT:-3306}/$DATABASE_NAME?ssl_mode=REQUIRED"
    export DATABASE_REPLICA_URLS
  fi
fi

# The cache layer's L2 on the cluster; everything that must not be evicted on the store
# (sessions, the broker and its results, configs, Django's default cache).
if [ -n "${CACHE_REDIS_HOST:-}" ]; then
  CACHING_REDIS_URL="rediss://:$(quote "$CACHE_REDIS_AUTH_TOKEN")@$CACHE_REDIS_HOST:${CACHE_REDIS_PORT:-6379}/0"
  CACHING_REDIS_CLUSTER=true
  export CACHING_REDIS_URL CACHING_REDIS_CLUSTER
fi
if [ -n "${STORE_REDIS_HOST:-}" ]; then
  store="rediss://:$(quote "$STORE_REDIS_AUTH_TOKEN")@$STORE_REDIS_HOST:${STORE_REDIS_PORT:-6379}"
  REDIS_URL="$store/0" REDIS_STORE_URL="$store/0" CELERY_BROKER_URL="$store/1" CELERY_RESULT_BACKEND="$store/2"
  export REDIS_URL REDIS_STORE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND
fi
unset DATABASE_PASSWORD CACHE_REDIS_AUTH_TOKEN STORE_REDIS_AUTH_TOKEN

# The load balancer's health checks name the task's own address as Host.
if [ -n "${ECS_CONTAINER_METADATA_URI_V4:-}" ]; then
  address="$(python -c 'import json, os, urllib.request
print(json.load(urllib.request.urlopen(os.environ["ECS_CONTAINER_METADATA_URI_V4"], timeout=5))["Networks"][0]["IPv4Addresses"][0])')"
  ALLOWED_HOSTS="${ALLOWED_HOSTS:+$ALLOWED_HOSTS,}$address"
  export ALLOWED_HOSTS
fi

# gunicorn's workers add up their figures at /metrics through this folder; a new one per start.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "$PROMETHEUS_MULTIPROC_DIR"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

exec "$@"
