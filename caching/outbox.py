"""The invalidation outbox: the database keeps what Redis could not take, until it can."""
from __future__ import annotations

from collections.abc import Callable

BATCH = 500


class Outbox:
    """Pending invalidations of one target (one Redis), in the database."""

    def __init__(self, target: str = "layer"):
        self.target = target

    def record(self, keys: list[str], generation_keys: list[str]) -> None:
        from .models import PendingInvalidation

        PendingInvalidation.objects.create(target=self.target, keys=keys, generation_keys=generation_keys)

    def replay(self, apply: Callable[[list[str], list[str]], None]) -> int:
        """Apply every pending invalidation with `apply(keys, generation_keys)` in batches,
        deleting each batch once it was applied. Returns how many rows were applied.
        Two processes draining at once apply some rows twice, which is harmless."""
        from .models import PendingInvalidation

        pending = PendingInvalidation.objects.filter(target=self.target)
        applied = 0
        while True:
            batch = list(pending.order_by("id")[:BATCH])
            if not batch:
                return applied
            keys = sorted({k for row in batch for k in row.keys})
            gen_keys = sorted({k for row in batch for k in row.generation_keys})
            apply(keys, gen_keys)
            PendingInvalidation.objects.filter(id__in=[row.id for row in batch]).delete()
            applied += len(batch)

    def pending(self) -> int:
        from .models import PendingInvalidation

        return PendingInvalidation.objects.filter(target=self.target).count()
