"""Leases in the database: one holder at a time for a job any process may start.

The race it prevents: beat's periodic CDN drain and a drain queued after a commit run
at once in two workers, both read the same pending paths and both send them. A lease
is taken with one conditional UPDATE (free or expired → ours), which every database
runs atomically; it expires on its own, so a holder that dies frees it within `ttl`.
"""
from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def lease(name: str, *, ttl: float):
    """Yield True while this process holds the lease `name` (at most `ttl` seconds), False
    when another holder has it; released on exit."""
    from .models import Lease

    holder, now = _holder(), timezone.now()
    expires = now + timedelta(seconds=ttl)
    try:
        with transaction.atomic():
            Lease.objects.get_or_create(name=name, defaults={"expires_at": now})
    except IntegrityError:
        pass  # created by someone else at the same moment
    taken = Lease.objects.filter(name=name, expires_at__lte=now).update(holder=holder, expires_at=expires)
    try:
        yield bool(taken)
    finally:
        if taken:
            Lease.objects.filter(name=name, holder=holder).update(holder="", expires_at=timezone.now())
