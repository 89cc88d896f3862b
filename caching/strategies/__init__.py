"""Per-data-type strategies: how a read is served and how a write reaches the cache."""
from .base import Result, Status, Strategy
from .bypass import Bypass
from .cache_aside import CacheAside
from .generational import Generational
from .write_through import WriteThrough

STRATEGY_CLASSES: dict[str, type[Strategy]] = {
    "cache_aside": CacheAside,
    "write_through": WriteThrough,
    "generational": Generational,
    "bypass": Bypass,
}

__all__ = ["STRATEGY_CLASSES", "Bypass", "CacheAside", "Generational", "Result", "Status", "Strategy", "WriteThrough"]
