"""The shop's side of runtime configs: the sync service built from settings, and reading configs.

Configs live on the store Redis (never evicted), under `config:<name>`; the shop reads
them through the cache layer's `runtime_config` data type (L1 only, 5 s), and a sync
done here drops that entry in every process at once.
"""
from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from django.conf import settings
from prometheus_client import Counter

import caching
from caching import clients

from .sync import ConfigSync, Outcome, config_key

SYNCS = Counter("config_sync_total", "Config objects processed, by outcome and reason.", ["outcome", "reason"])


def config_store():
    """The store Redis, where configs live (the Lambda's REDIS_URL names the same server)."""
    return clients.shared_client(settings.CONFIG_REDIS_URL, cluster=False, timeout=2.0)


def _counted(outcome: Outcome) -> None:
    SYNCS.labels(outcome.outcome, outcome.reason or "").inc()
    if outcome.config and outcome.outcome in ("written", "deleted"):
        caching.invalidate_now("runtime_config", outcome.config)


@cache
def _s3():
    return boto3.client("s3", region_name=settings.AWS_REGION)


def config_sync() -> ConfigSync:
    return ConfigSync(s3=_s3(), redis=config_store(), bucket=settings.CONFIG_BUCKET_NAME,
                      prefix=settings.CONFIG_PREFIX, max_bytes=settings.CONFIG_MAX_BYTES, on_outcome=_counted)


def load_config(name: str) -> dict[str, Any] | None:
    """The stored document of a config ({"name", "data", "version", ...}), or None."""
    raw = config_store().get(config_key(name))
    if raw is None:
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        return None  # not ours
    return document if isinstance(document, dict) and "data" in document else None


def config_get(name: str) -> dict[str, Any] | None:
    """A config as the shop reads it: through the cache layer (L1, 5 s), so a request costs no
    Redis round trip, and a sync reaches every process at once."""
    return caching.get_or_load("runtime_config", name)


def feature_enabled(flag: str, *, default: bool) -> bool:
    """A feature flag from the `feature-flags` config; `default` when it is not set there (or
    the store cannot be read: a flag never takes the shop down)."""
    try:
        document = config_get("feature-flags")
    except Exception:  # noqa: BLE001 - the store is away: the shop's default stands
        return default
    flags = (document or {}).get("data") or {}
    value = flags.get(flag)
    return value if isinstance(value, bool) else default
