"""The CDN outbox: paths written in the transaction of the change that made them stale.

A commit can therefore never lose one (a broker or CDN outage only delays it) and a
rollback takes its paths with it. After the commit a drain is queued, a little later so
that a burst of edits goes out as one request; beat drains on a short period anyway,
so a lost task message is never a lost invalidation.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from ..conf import settings
from ..errors import L2Unavailable
from . import edges

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(edges.configured())


def record_paths(paths: Iterable[str]) -> None:
    """Write `paths` to the outbox, once per edge, in the current transaction; a drain
    follows the commit."""
    from ..models import CdnPath

    paths = sorted(set(paths))
    names = [edge.name for edge in edges.configured()]
    if not paths or not names:
        return
    CdnPath.objects.bulk_create([CdnPath(distribution=name, path=path) for name in names for path in paths])
    transaction.on_commit(request_drain, robust=True)


def _none_queued(countdown: float) -> bool:
    """True for the first caller until `countdown` has passed, across all processes (a SET NX
    in the shared cache): one queued drain sends whatever is pending then, so more tasks
    would only send less each."""
    from ..handler import get_layer

    key = f"{settings.KEY_PREFIX}:cdn:drain-queued"
    expiry_ms = max(int(countdown * 1000), 1)
    try:
        return bool(get_layer().tier.call("cdn", lambda c: c.set(key, b"1", nx=True, px=expiry_ms)))
    except L2Unavailable:
        return True  # no way to tell: queue one, drains are idempotent


def request_drain(countdown: float | None = None) -> None:
    """Queue a drain in `countdown` seconds (the batch window by default), unless one is
    queued already. Never fails the caller: with the broker down, the paths wait in the
    outbox for beat's periodic drain."""
    from ..tasks import drain_cdn

    countdown = settings.CDN_BATCH_WINDOW if countdown is None else countdown
    if not _none_queued(countdown):
        return
    try:
        drain_cdn.apply_async(countdown=countdown, retry=False)
    except Exception as exc:  # the broker is away: kombu's errors vary by transport
        logger.warning("CDN drain not queued (%s); beat's periodic drain will send the paths", exc)
