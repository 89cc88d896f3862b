"""The cache layer's settings: `CACHING` in Django settings, read through one object with defaults.

An unknown key, in CACHING or in a DATA_TYPES override, is an ImproperlyConfigured
error at start-up: a typo must not silently leave a default in place.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # False turns the whole layer into a pass-through: every read calls its loader.
    "ENABLED": True,
    "KEY_PREFIX": "shop",
    # L2: a Redis URL (redis:// or rediss:// for TLS, with the password), standalone or
    # Cluster. Unset: Django's REDIS_URL setting.
    "REDIS_URL": None,
    "REDIS_CLUSTER": False,
    # Seconds to connect and per reply; unset: Django's REDIS_SOCKET_TIMEOUT, else 0.25.
    "REDIS_SOCKET_TIMEOUT": None,
    # Defaults of every data type; a registration or DATA_TYPES overrides them.
    "DEFAULT_TTL": 300,
    "DEFAULT_JITTER": 0.10,
    # How long past its TTL an entry may still be served while one worker refreshes it.
    "STALE_TTL": 30,
    # XFetch's beta: > 1 refreshes hot keys earlier, 0 turns early refresh off.
    "XFETCH_BETA": 1.0,
    "COMPRESS_THRESHOLD": 4096,
    "L1_MAX_ENTRIES": 50_000,
    "L1_MAX_BYTES": 128 * 1024 * 1024,
    "L1_TTL": 60,
    # Single flight: how long the loader's lease lasts, how long waiters wait for its value.
    "LOCK_TTL": 10.0,
    "LOCK_WAIT": 5.0,
    # Circuit breaker in front of Redis.
    "BREAKER_FAILURES": 5,
    "BREAKER_RESET_SECONDS": 2.0,
    # Pub/sub channel of the L1 invalidation broadcast.
    "INVALIDATION_CHANNEL": "caching:invalidate",
    # The broadcast link is pinged this often; silent for longer than LINK_SILENCE,
    # it counts as lost (L1 flushed and off until it is back).
    "LINK_PING_INTERVAL": 1.0,
    "LINK_SILENCE": 3.0,
    # How long a fence or a generation outlives its last change: far longer than any
    # entry's TTL, so an entry never outlives what guards it.
    "FENCE_TTL": 86_400,
    # The CDN in front of the public API (caching.cdn): changed paths go through an outbox
    # table to invalidation requests. No distribution: CDN invalidation is off.
    "CDN_BACKEND": "caching.cdn.cloudfront.CloudFront",
    "CDN_DISTRIBUTION_ID": "",
    # API Gateway's stage cache, behind the CDN: flushed through the same outbox for the same
    # changes. Both unset: not purged (no stage cache, or none in front of this deployment).
    "APIGATEWAY_BACKEND": "caching.cdn.apigateway.ApiGatewayStageCache",
    "APIGATEWAY_REST_API_ID": "",
    "APIGATEWAY_STAGE_NAME": "",
    "CDN_REGION": "us-east-1",
    # Seconds a drain waits after a commit, and at least between two invalidation requests,
    # so that a burst of edits goes out as a few requests, not one each.
    "CDN_BATCH_WINDOW": 2.0,
    "CDN_MIN_INTERVAL": 5.0,
    # This many paths in one folder are sent as the folder's wildcard (one path to the CDN).
    "CDN_FOLD_THRESHOLD": 20,
    # In progress at once per distribution (CloudFront's limits; lower them to leave room
    # for other senders).
    "CDN_MAX_PATHS": 3000,
    "CDN_MAX_WILDCARDS": 15,
    # Backoff of a request the CDN did not take: base * 2^(attempts-1), capped, jittered.
    "CDN_RETRY_BASE": 2.0,
    "CDN_RETRY_MAX": 300.0,
    # Attempts botocore makes within one send (quick retries; the backoff above spans drains).
    "CDN_API_ATTEMPTS": 3,
    # How long one drain may hold the drain lease (longer than a drain ever takes).
    "CDN_DRAIN_LEASE": 120.0,
    # Hot keys (caching.hotkeys): one look-up in SAMPLE_EVERY is counted (0: off); counts
    # halve every HALF_LIFE seconds; the PINNED hottest keys of each data type are kept in
    # L1 and, within REFRESH_FRACTION of their TTL's end, refreshed in the background.
    "HOT_KEY_SAMPLE_EVERY": 16,
    "HOT_KEY_HALF_LIFE": 60.0,
    "HOT_KEY_PINNED": 20,
    "HOT_KEY_REFRESH_FRACTION": 0.2,
    # False: look-ups are not counted (prometheus counters; the benchmarks measure the cost).
    "METRICS": True,
    # Read replicas: a load within REPLICA_LAG_BOUND seconds of its item's invalidation
    # runs under PRIMARY_READS (the dotted path of the router's "read the primary" context
    # manager), since a replica may not have the change yet. 0: loads read where the
    # router sends them.
    "REPLICA_LAG_BOUND": 0.0,
    "PRIMARY_READS": "multidb.pinning.use_primary_db",
    # Per data type overrides, e.g. {"product": {"ttl": 600}}.
    "DATA_TYPES": {},
}

# What a DATA_TYPES override may set.
DATA_TYPE_OVERRIDES = frozenset({"ttl", "jitter", "stale_ttl", "levels", "l1_ttl", "schema_version", "strategy",
                                 "serializer", "max_staleness", "negative_ttl", "max_negative"})


class CachingSettings:
    """Attribute access to CACHING with defaults: `settings.DEFAULT_TTL`."""

    def __getattr__(self, name: str) -> Any:
        # Only called on a first access: the value is then kept as an instance
        # attribute, so reads on the hot path are plain attribute look-ups.
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid CACHING setting: {name!r}")
        user = _user_settings()
        value = user.get(name, DEFAULTS[name])
        if value is None and name == "REDIS_URL":
            value = getattr(django_settings, "REDIS_URL", "redis://127.0.0.1:6379/0")
        if value is None and name == "REDIS_SOCKET_TIMEOUT":
            value = getattr(django_settings, "REDIS_SOCKET_TIMEOUT", 0.25)
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        self.__dict__.clear()


def _user_settings() -> dict:
    user = getattr(django_settings, "CACHING", {})
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"Unknown CACHING settings: {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    for name, overrides in user.get("DATA_TYPES", {}).items():
        bad = set(overrides) - DATA_TYPE_OVERRIDES
        if bad:
            raise ImproperlyConfigured(f"CACHING['DATA_TYPES'][{name!r}]: unknown keys {sorted(bad)}; "
                                       f"known: {sorted(DATA_TYPE_OVERRIDES)}")
    return user


settings = CachingSettings()


def _reload(*, setting: str, **kwargs) -> None:
    if setting in ("CACHING", "REDIS_URL", "REDIS_SOCKET_TIMEOUT"):
        settings.reload()


setting_changed.connect(_reload)
