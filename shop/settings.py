"""Settings, read from environment variables with safe local defaults.

Every variable is listed in the README's configuration table.
"""
import ipaddress
import logging
import os
import secrets
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from .local_env import load_local_env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR") or BASE_DIR / ".data")
load_local_env(DATA_DIR / "run.env")

env = environ.Env()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept under .data/ for local use."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Created 0600, never readable by others even for a moment.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
# Exact host names, no wildcard: links in cached bodies never depend on the Host header
# anyway (see PUBLIC_BASE_URL), but a request for another host is refused.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Absolute links in API bodies (a page's next/previous) start with this; empty: relative links.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
# How many proxies of our own (load balancer, CDN) sit in front of the app; the client's
# address is then read from X-Forwarded-For that far from the right (0: REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here: /api/docs/ works offline
    "caching",
    "catalog",
    "carts",
    "sessions_app",
    "profiles",
    "orders",
    "runtime_config",
]

MIDDLEWARE = [
    "shop.logs.RequestIdMiddleware",  # first: every later line of the request carries its id
    "shop.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shop.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "sessions_app.middleware.LiveSessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.middleware.ShopErrorMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, else an embedded SQLite file so a first run needs no server.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue instead of failing with "database is locked": a transaction takes
    # the write lock when it starts (IMMEDIATE) and waits up to `timeout` seconds for it;
    # WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Read replicas (shop.db_router): DATABASE_REPLICA_URLS, comma-separated; none, no router.
REPLICA_DATABASES = []
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    _replica = env.db_url_config(_url)
    # A replica that stopped answering costs a read 2 s at most, once per check.
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    _replica.update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True,
                    TEST={"MIRROR": "default"})  # tests without a real replica read the test database
    DATABASES[f"replica{_number}"] = _replica
    REPLICA_DATABASES.append(f"replica{_number}")
if REPLICA_DATABASES:
    DATABASE_ROUTERS = ["shop.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                      "shop.db_router.ReplicaPinningMiddleware")
DATABASE_REPLICA_MAX_LAG = env.int("DATABASE_REPLICA_MAX_LAG", default=5)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=5)
# How a replica's lag is read: "mysql" (MySQL or MariaDB replication) or "aurora" (readers).
DATABASE_REPLICA_KIND = env.str("DATABASE_REPLICA_KIND", default="mysql")
if DATABASE_REPLICA_KIND not in ("mysql", "aurora"):
    raise ImproperlyConfigured(f"DATABASE_REPLICA_KIND must be mysql or aurora, not {DATABASE_REPLICA_KIND!r}")
# A client that wrote reads the primary this long: longer than the lag a replica may have.
MULTIDB_PINNING_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=2 * DATABASE_REPLICA_MAX_LAG)
MULTIDB_PINNING_COOKIE = "pin_primary"
MULTIDB_PINNING_COOKIE_HTTPONLY = True
MULTIDB_PINNING_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis in two roles. REDIS_URL: the cache, which may evict (allkeys-lru). REDIS_STORE_URL:
# what must not be evicted, sessions and the Celery broker (a noeviction instance; unset,
# the cache's server, which is only safe while it never fills up).
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6390/0")
REDIS_STORE_URL = env.str("REDIS_STORE_URL", default=REDIS_URL)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="shop"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Never pickle: a value someone writes into Redis must not run code here.
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        },
    },
    # Sessions: the store Redis through the cache layer's fail-fast backend (circuit
    # breaker): with Redis down, sessions are read from the database at once. SESSIONS_REDIS_URL
    # (and SESSIONS_REDIS_CLUSTER) move them elsewhere, e.g. a Redis Cluster; the broker stays.
    "sessions": {
        "BACKEND": "caching.backends.redis.RedisBackend",
        "LOCATION": env.str("SESSIONS_REDIS_URL", default=REDIS_STORE_URL),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="shop"),
        "OPTIONS": {"SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                    "CLUSTER": env.bool("SESSIONS_REDIS_CLUSTER", default=False)},
    },
}

# The cache layer (caching/): every key is documented in the README.
CACHING = {
    "ENABLED": env.bool("CACHING_ENABLED", default=True),
    "REDIS_URL": env.str("CACHING_REDIS_URL", default=REDIS_URL),
    "REDIS_CLUSTER": env.bool("CACHING_REDIS_CLUSTER", default=False),
    # CloudFront in front of the public API: unset, CDN invalidation is off. boto3 reads
    # AWS_ENDPOINT_URL (moto's server locally) and the credentials the standard way.
    "CDN_DISTRIBUTION_ID": env.str("CLOUDFRONT_DISTRIBUTION_ID", default=""),
    # API Gateway's stage cache (deploy/edge/apigateway.yaml): flushed through the same outbox.
    "APIGATEWAY_REST_API_ID": env.str("APIGATEWAY_REST_API_ID", default=""),
    "APIGATEWAY_STAGE_NAME": env.str("APIGATEWAY_STAGE_NAME", default=""),
    "CDN_REGION": env.str("AWS_REGION", default="us-east-1"),
    "CDN_BATCH_WINDOW": env.float("CDN_BATCH_WINDOW", default=2.0),
    "CDN_MIN_INTERVAL": env.float("CDN_MIN_INTERVAL", default=5.0),
    "CDN_API_ATTEMPTS": env.int("CDN_API_ATTEMPTS", default=3),
    "CDN_RETRY_BASE": env.float("CDN_RETRY_BASE", default=2.0),
    # With replicas, a load this soon after its item's invalidation reads the primary: the
    # most a replica in use can lag is MAX_LAG plus what it may fall behind between two
    # checks; one second more for the clocks of the processes involved.
    "REPLICA_LAG_BOUND": (DATABASE_REPLICA_MAX_LAG + DATABASE_REPLICA_CHECK_SECONDS + 1) if REPLICA_DATABASES else 0,
}

# Search reads an index on local disk (tantivy), kept in step with the catalog: right after
# a change ("thread": in the background; "sync": before the request returns, as the tests
# want; "off": beat alone) and by beat every SEARCH_CATCH_UP_SECONDS.
SEARCH_INDEX_DIR = env.str("SEARCH_INDEX_DIR", default=str(DATA_DIR / "search-index"))
SEARCH_CATCH_UP = env.str("SEARCH_CATCH_UP", default="thread")
# How long a listing or a search may be served after a change made it stale, while one
# background refresh rebuilds it: the catalog is eventually consistent, search results a
# little more so (product bodies in either are never stale: they come from product entries).
LISTING_MAX_STALENESS = env.float("LISTING_MAX_STALENESS", default=60)
# How often each process sends its request counts (what warming follows) to the store Redis.
POPULARITY_FLUSH_SECONDS = env.float("POPULARITY_FLUSH_SECONDS", default=1.0)
SEARCH_MAX_STALENESS = env.float("SEARCH_MAX_STALENESS", default=600)

SESSION_ENGINE = "sessions_app.engine"
SESSION_CACHE_ALIAS = "sessions"
AUTHENTICATION_BACKENDS = ["sessions_app.auth.ThrottledModelBackend"]
# Failed logins allowed per username and per client address in a window, for the API
# and the admin alike; beyond them a login gets 429 with Retry-After.
LOGIN_THROTTLE = {
    "PER_USERNAME": env.int("LOGIN_FAILURES_PER_USERNAME", default=5),
    "PER_ADDRESS": env.int("LOGIN_FAILURES_PER_ADDRESS", default=20),
    "WINDOW_SECONDS": env.int("LOGIN_THROTTLE_WINDOW", default=300),
}
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=1800)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Request bodies above this size get a 413 JSON error before any parsing.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BODY_BYTES, 2_621_440)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["shop.api.authentication.CsrfSessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["shop.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["shop.api.renderers.FastJSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "shop.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "shop.api.errors.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "shop.api.schema.ShopAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "Catalog, carts, sessions, profiles and orders, served through a two-level cache. "
                   "Every error has one shape: `{\"error\": {\"status\", \"code\", \"message\", \"details\"}}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags and operation ids from the first segment after it
    # Request and response shapes differ (read-only fields, nullable outputs): one component each.
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies are validated whole here (not partial): document them with their required fields.
    "COMPONENT_SPLIT_PATCH": False,
    # Swagger UI from the installed drf-spectacular-sidecar, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator service: the page needs no other host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# Celery: Redis broker by default (db 1 of the same server), results in db 2.
# Unset, they are REDIS_STORE_URL's server (and password) with databases 1 and 2.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=urlsplit(REDIS_STORE_URL)._replace(path="/1").geturl())
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND",
                                default=urlsplit(REDIS_STORE_URL)._replace(path="/2").geturl())
if CELERY_BROKER_URL.startswith("rediss://"):  # TLS: Celery wants the certificate policy said
    CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
if CELERY_RESULT_BACKEND.startswith("rediss://"):
    CELERY_REDIS_BACKEND_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Every task is idempotent and acknowledged once done: a worker that dies mid-task leaves
# it to be delivered again, not lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers a message not acknowledged within the visibility timeout. It must
# outlast the longest task (a full warm after a flush: a few minutes) and the longest
# countdown (a CDN retry: at most CDN_RETRY_MAX, 5 minutes), or a running or waiting
# task would be delivered twice; and stay short enough that a task of a worker that
# died is picked up again soon. No reconnect attempts when sending and a short connect
# time-out keep a broker outage from holding a request that queues a task (for seconds,
# with kombu's default retries): what it would queue is in an outbox beat drains.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800),
    "socket_connect_timeout": 2,
    "max_retries": 0,
}
# Invalidations (CDN outbox, cache outbox, search catch-up) and warming have queues and
# workers of their own, so a long warm-up never delays an invalidation.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "caching.drain_*": {"queue": "invalidations"},
    "caching.invalidate_*": {"queue": "invalidations"},
    "caching.warm_*": {"queue": "warming"},
    "catalog.search_catch_up": {"queue": "invalidations"},
    "catalog.warm_*": {"queue": "warming"},
    "catalog.decay_popularity": {"queue": "warming"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_IMPORTS = ["shop.tasks"]
# Workers log through LOGGING above (JSON, with the request id of the request that queued
# the task), not through Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict = {
    # Invalidations Redis could not take reach it (and every process's L1) without waiting
    # for the process that saw the failure.
    "drain-cache-outbox": {"task": "caching.drain_outbox",
                           "schedule": env.float("CACHE_OUTBOX_DRAIN_SECONDS", default=5.0)},
    # CDN paths whose drain task was lost (broker away) or is due again after a refusal.
    "drain-cdn-outbox": {"task": "caching.drain_cdn", "schedule": env.float("CDN_DRAIN_SECONDS", default=5.0)},
    "search-catch-up": {"task": "catalog.search_catch_up",
                        "schedule": env.float("SEARCH_CATCH_UP_SECONDS", default=5.0)},
    "prune-search-removals": {"task": "catalog.prune_search_removals", "schedule": 3600.0},
    # After a flush or a deploy that bumped a schema version: listings, popular searches, products.
    "warm-if-cold": {"task": "catalog.warm_if_cold", "schedule": 60.0},
    # The cache layer's figures for the CloudWatch dashboard and alarms (deploy/cloudwatch.yaml).
    "publish-cloudwatch": {"task": "caching.publish_cloudwatch", "schedule": 60.0},
    # A point of the admin cache dashboard's hit-ratio chart.
    "record-cache-stats": {"task": "caching.record_stats", "schedule": 30.0},
    # What became popular since (or was evicted) is loaded again; cheap when all is cached.
    "warm-popular": {"task": "catalog.warm_popular", "schedule": 600.0},
    # Request counts halve every hour, so warming follows recent traffic.
    "decay-popularity": {"task": "catalog.decay_popularity", "schedule": 3600.0},
}

# Runtime configs (runtime_config): files in an S3 bucket, synced into Redis on S3 events
# (a Lambda, or POST config-sync/s3-events/ with the shared secret) and by `sync_config`.
AWS_REGION = env.str("AWS_REGION", default="us-east-1")
CONFIG_BUCKET_NAME = env.str("CONFIG_BUCKET_NAME", default="")
CONFIG_PREFIX = env.str("CONFIG_PREFIX", default="")
CONFIG_SYNC_SECRET = env.str("CONFIG_SYNC_SECRET", default="")  # empty: the endpoint refuses every request
CONFIG_MAX_BYTES = env.int("CONFIG_MAX_BYTES", default=256 * 1024)
# Configs must never be evicted: the store Redis by default.
CONFIG_REDIS_URL = env.str("CONFIG_REDIS_URL", default=REDIS_STORE_URL)

# CloudWatch namespace of the cache layer's figures (caching.cloudwatch); empty: not published.
CLOUDWATCH_NAMESPACE = env.str("CLOUDWATCH_NAMESPACE", default="")

# /metrics (Prometheus): from these addresses, or with `Authorization: Bearer METRICS_TOKEN`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(net.strip(), strict=False)
                            for net in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"]) if net.strip()]

# One JSON object a line, with the request id (shop.logs); LOG_FORMAT=text for a terminal.
# Python's warnings (a library's deprecation, Celery's as root) become log lines too.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
logging.captureWarnings(True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shop.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "shop.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
