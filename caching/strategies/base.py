"""The interface every strategy provides, and what a read returns."""
from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ..datatypes import DataType
    from ..layer import CacheLayer


class Status(StrEnum):
    """Where a value came from: what the `X-Cache` header says."""

    HIT_L1 = "HIT-L1"
    HIT_L2 = "HIT-L2"
    MISS = "MISS"
    STALE = "STALE"
    BYPASS = "BYPASS"


class Result(NamedTuple):
    value: Any
    status: Status


class Strategy:
    def __init__(self, layer: CacheLayer):
        self.layer = layer

    def fetch(self, data_type: DataType, item_id: Any, loader: Callable[[], Any] | None) -> Result:
        """Serve `item_id`; `loader` (or, when None, the registered loader) runs on a miss."""
        raise NotImplementedError("subclasses of Strategy must provide a fetch() method")

    def put(self, data_type: DataType, item_id: Any, value: Any, *, version: int) -> bool:
        raise TypeError(f"{data_type.name}: strategy {data_type.strategy!r} does not take writes; invalidate instead")

    def keys_to_invalidate(self, data_type: DataType, item_ids) -> list[str]:
        return [data_type.key(item_id) for item_id in item_ids]
