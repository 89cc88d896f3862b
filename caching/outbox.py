"""The invalidation outbox: the database keeps what Redis could not take, until it can."""
from __future__ import annotations

from collections.abc import Callable

from .coherence import encode_keys

BATCH = 500


class Outbox:
    def record(self, keys: list[str], generation_keys: list[str]) -> None:
        from .models import PendingInvalidation

        PendingInvalidation.objects.create(keys=keys, generation_keys=generation_keys)

    def replay(self, apply: Callable[..., None], *, channel: str, sender: str) -> int:
        """Apply every pending invalidation with `apply(keys, generation_keys, channel, message)`,
        deleting each batch once Redis took it. Returns how many were replayed."""
        from .models import PendingInvalidation

        replayed = 0
        while True:
            batch = list(PendingInvalidation.objects.order_by("id")[:BATCH])
            if not batch:
                return replayed
            keys = sorted({k for row in batch for k in row.keys})
            gen_keys = sorted({k for row in batch for k in row.generation_keys})
            apply(keys, gen_keys, channel, encode_keys(sender, keys + gen_keys))
            PendingInvalidation.objects.filter(id__in=[row.id for row in batch]).delete()
            replayed += len(batch)

    def pending(self) -> int:
        from .models import PendingInvalidation

        return PendingInvalidation.objects.count()
