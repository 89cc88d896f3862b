"""What a domain app declares: a data type, its strategy, key, loader, TTL and invalidation rules."""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import keys
from .conf import settings
from .metrics import DataTypeMetrics
from .serializers import SERIALIZERS, Serializer, pack
from .strategies import STRATEGY_CLASSES

LEVELS = frozenset({"l1", "l2"})


@dataclass(frozen=True)
class ModelRule:
    """"A change of `model` touches these ids of the data type."

    `ids(instance, previous)` returns the ids touched by a saved or deleted
    instance; `previous` holds the values of the `track` fields before the
    save (None for a new row), so a move (a product to another category) can
    touch the old owner too. Generational types need no ids: any change of the
    model bumps their namespace.
    """

    model: Any  # a model class or "app_label.ModelName"
    ids: Callable[[Any, dict | None], Iterable[Any]] | None = None
    track: tuple[str, ...] = ()
    m2m: tuple[str, ...] = ()  # names of many-to-many fields whose changes count as a change


@dataclass
class DataType:
    name: str
    strategy: str = "cache_aside"
    loader: Callable[[Any], Any] | None = None
    ttl: float | None = None
    jitter: float | None = None
    stale_ttl: float | None = None
    levels: tuple[str, ...] = ("l1", "l2")
    l1_ttl: float | None = None
    serializer: str = "json"
    schema_version: int = 1
    # Generational types: the namespace(s) whose generations an entry depends on; a
    # callable(item_id) gives them per entry (e.g. the category's and its price order's).
    # Their ModelRules' `ids` return the namespaces a change bumps.
    namespace: str | Callable[[Any], str | list[str]] | None = None
    # Generational types: how long an entry may still be served after one of its
    # namespaces was bumped, while one background refresh rebuilds it (0: never).
    max_staleness: float = 0.0
    invalidated_by: tuple[ModelRule, ...] = ()
    # Namespaces bumped whenever this type is invalidated (e.g. "catalog" for search).
    bumps: tuple[str, ...] = ()
    # CDN paths to purge when an id is invalidated.
    cdn_paths: Callable[[Any], Iterable[str]] | None = None
    # What warms this type on an operator's demand (caching.services.cache_warm_type), if anything.
    warmer: Callable[[], Any] | None = None
    # Write-through types: the data version of a value (e.g. the cart's version field).
    version_of: Callable[[Any], int] | None = None
    # Negative entries ("no such product"): recognised by `negative(value)`, kept only
    # `negative_ttl` seconds, and at most `max_negative` stored per such period, so that
    # clients asking for ids that do not exist cannot fill the cache with them.
    negative: Callable[[Any], bool] | None = None
    negative_ttl: float = 30.0
    max_negative: int = 10_000
    metrics: DataTypeMetrics = field(init=False, repr=False)

    def __post_init__(self) -> None:
        overrides = settings.DATA_TYPES.get(self.name, {})
        for name, value in overrides.items():
            setattr(self, name, value)
        if self.strategy not in STRATEGY_CLASSES:
            raise ValueError(f"{self.name}: unknown strategy {self.strategy!r}; one of {sorted(STRATEGY_CLASSES)}")
        if not set(self.levels) <= LEVELS:
            raise ValueError(f"{self.name}: levels must be among {sorted(LEVELS)}")
        if self.serializer not in SERIALIZERS:
            raise ValueError(f"{self.name}: unknown serializer {self.serializer!r}")
        if self.strategy == "generational" and not self.namespace:
            self.namespace = self.name
        if self.strategy == "write_through" and self.version_of is None:
            raise ValueError(f"{self.name}: a write_through type needs version_of(value) -> data version")
        self.ttl = settings.DEFAULT_TTL if self.ttl is None else self.ttl
        self.jitter = settings.DEFAULT_JITTER if self.jitter is None else self.jitter
        self.stale_ttl = settings.STALE_TTL if self.stale_ttl is None else self.stale_ttl
        self.l1_ttl = settings.L1_TTL if self.l1_ttl is None else self.l1_ttl
        self.metrics = DataTypeMetrics(self.name)

    @property
    def codec(self) -> Serializer:
        return SERIALIZERS[self.serializer]

    @property
    def uses_l1(self) -> bool:
        return "l1" in self.levels

    @property
    def uses_l2(self) -> bool:
        return "l2" in self.levels

    def key(self, item_id: Any) -> str:
        return keys.entry_key(settings.KEY_PREFIX, self.name, self.schema_version, keys.normalise_id(item_id))

    def namespaces_of(self, item_id: Any) -> list[str]:
        namespaces = self.namespace(item_id) if callable(self.namespace) else self.namespace
        return [namespaces] if isinstance(namespaces, str) else list(namespaces)

    def is_negative(self, value: Any) -> bool:
        return self.negative is not None and self.negative(value)

    def envelope(self, value: Any, *, delta: float = 0.0) -> tuple[bytes, float, int]:
        """The L2 entry of `value`: (blob, ttl, Redis TTL in ms). The entry turns stale
        after a jittered `ttl` (`negative_ttl` for a negative entry) and stays in Redis
        `stale_ttl` longer, to be served while one worker refreshes it; `delta` (the load
        time) feeds XFetch."""
        if self.is_negative(value):
            blob = pack(self.codec.dumps(value), soft_expires_at=time.time() + self.negative_ttl, delta=0.0,
                        compress_threshold=0)
            return blob, self.negative_ttl, int(self.negative_ttl * 1000)
        ttl = self.jittered_ttl()
        blob = pack(self.codec.dumps(value), soft_expires_at=time.time() + ttl, delta=delta,
                    compress_threshold=settings.COMPRESS_THRESHOLD)
        return blob, ttl, int((ttl + self.stale_ttl) * 1000)

    def jittered_ttl(self) -> float:
        """TTL ± jitter, so entries written together do not all expire together."""
        if not self.jitter:
            return self.ttl
        return self.ttl * (1 + random.uniform(-self.jitter, self.jitter))


class Registry:
    """All registered data types, by name."""

    def __init__(self) -> None:
        self._types: dict[str, DataType] = {}
        self.on_register: list[Callable[[DataType], None]] = []

    def register(self, data_type: DataType) -> DataType:
        self._types[data_type.name] = data_type
        for hook in self.on_register:
            hook(data_type)
        return data_type

    def get(self, name: str | DataType) -> DataType:
        if isinstance(name, DataType):
            return name
        try:
            return self._types[name]
        except KeyError:
            raise LookupError(f"no cache data type named {name!r} is registered") from None

    def unregister(self, name: str) -> None:
        self._types.pop(name, None)

    def all(self) -> list[DataType]:
        return list(self._types.values())


registry = Registry()
