"""The cache layer's settings: `CACHING` in Django settings, read through one object with defaults."""
from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # False turns the whole layer into a pass-through: every read calls its loader.
    "ENABLED": True,
    "KEY_PREFIX": "shop",
    # Where L2 lives: a django-redis CACHES alias, or a Redis Cluster URL.
    "REDIS_ALIAS": "default",
    "REDIS_CLUSTER_URL": "",
    # Defaults of every data type; a registration or DATA_TYPES overrides them.
    "DEFAULT_TTL": 300,
    "DEFAULT_JITTER": 0.10,
    # How long past its TTL an entry may still be served while one worker refreshes it.
    "STALE_TTL": 30,
    # XFetch's beta: > 1 refreshes hot keys earlier, 0 turns early refresh off.
    "XFETCH_BETA": 1.0,
    "COMPRESS_THRESHOLD": 4096,
    "L1_MAX_ENTRIES": 10_000,
    "L1_MAX_BYTES": 64 * 1024 * 1024,
    "L1_TTL": 60,
    # Single flight: how long the loader's lease lasts, how long waiters wait for its value.
    "LOCK_TTL": 10.0,
    "LOCK_WAIT": 5.0,
    # Circuit breaker in front of Redis.
    "BREAKER_FAILURES": 5,
    "BREAKER_RESET_SECONDS": 2.0,
    # Pub/sub channel of the L1 invalidation broadcast.
    "INVALIDATION_CHANNEL": "caching:invalidate",
    # How long a fence (invalidation counter) outlives its last invalidation.
    "FENCE_TTL": 86_400,
    # Dotted path of a callable(paths: list[str]) that purges CDN paths, or "".
    "CDN_INVALIDATOR": "",
    # Per data type overrides, e.g. {"product": {"ttl": 600}}.
    "DATA_TYPES": {},
}


class CachingSettings:
    """Attribute access to CACHING with defaults: `settings.DEFAULT_TTL`."""

    def __getattr__(self, name: str) -> Any:
        # Only called on a first access: the value is then kept as an instance
        # attribute, so reads on the hot path are plain attribute look-ups.
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid CACHING setting: {name!r}")
        value = getattr(django_settings, "CACHING", {}).get(name, DEFAULTS[name])
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        self.__dict__.clear()


settings = CachingSettings()


def _reload(*, setting: str, **kwargs) -> None:
    if setting == "CACHING":
        settings.reload()


setting_changed.connect(_reload)
