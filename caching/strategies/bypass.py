"""Bypass: never cached; every read calls the loader."""
from .base import Result, Status, Strategy, load


class Bypass(Strategy):
    def fetch(self, data_type, item_id, loader) -> Result:
        data_type.metrics.bypass.inc()
        return Result(load(data_type, item_id, loader), Status.BYPASS)

    def invalidation(self, data_type, item_ids) -> tuple[list[str], list[str]]:
        return [], list(data_type.bumps)

    def warmable(self, data_type) -> bool:
        return False
