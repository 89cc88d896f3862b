"""Bypass: never cached; every read calls the loader."""
from .base import Result, Status, Strategy


class Bypass(Strategy):
    def fetch(self, data_type, item_id, loader) -> Result:
        data_type.metrics.bypass.inc()
        return Result(self.layer.load(data_type, item_id, loader), Status.BYPASS)

    def keys_to_invalidate(self, data_type, item_ids) -> list[str]:
        return []
