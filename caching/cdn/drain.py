"""Drain the CDN outbox: pending paths become invalidation requests, within the CDN's limits.

One drain runs at a time per edge (a lease; caching.cdn.edges: CloudFront, API Gateway's
stage cache), from a task queued after a commit or from beat. Each request is written as
a batch before it is sent, with a fixed CallerReference, so a crash or a lost reply leads
to the same request again (the CDN answers it with the invalidation it already has), and
paths are marked done only once the CDN accepted them. Throttling and server errors back
off exponentially with jitter, recorded on the batch so that every drain, whichever
process runs it, honours it.
"""
from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..conf import settings
from ..leases import lease
from . import edges
from .base import CdnBackend, CdnBusy, CdnUnavailable
from .batching import plan_batch

logger = logging.getLogger(__name__)

ROWS_PER_BATCH = 20_000  # pending rows read to form one request (paths deduplicate heavily)
KEEP_COMPLETED = timedelta(days=7)


@dataclass
class DrainReport:
    sent: list[str] = field(default_factory=list)  # CallerReferences accepted by the CDN
    paths: int = 0  # outbox rows those requests covered
    waiting: int = 0  # rows left for later (the CDN's limits, or an error)
    retry_in: float | None = None  # seconds until a batch that failed is due again
    skipped: bool = False  # another drain held the lease

    def as_dict(self) -> dict:
        return {"sent": len(self.sent), "paths": self.paths, "waiting": self.waiting, "retry_in": self.retry_in,
                "skipped": self.skipped}


def drain_cdn(cdn: CdnBackend | None = None) -> DrainReport:
    """Send what the outbox holds for each configured edge, as far as each takes it (with
    `cdn`, only for the edge that backend serves, through it)."""
    report = DrainReport()
    for edge in edges.configured():
        if cdn is not None and cdn.distribution_id != edge.target:
            continue
        with lease(f"cdn-drain:{edge.name}", ttl=settings.CDN_DRAIN_LEASE) as held:
            if not held:
                report.skipped = True
                continue
            _Drain(cdn or edge.backend(), edge.name, report).run()
    return report


class _Drain:
    def __init__(self, cdn: CdnBackend, distribution: str, report: DrainReport):
        self.cdn, self.distribution, self.report = cdn, distribution, report

    def run(self) -> None:
        from ..models import CdnInvalidation, CdnPath

        pending_rows = CdnPath.objects.filter(distribution=self.distribution, invalidation__isnull=True)
        batches = CdnInvalidation.objects.filter(distribution=self.distribution)
        if not pending_rows.exists() and not batches.filter(status=CdnInvalidation.PENDING).exists():
            self._forget_old(batches)
            return
        self._refresh_in_progress(batches.filter(status=CdnInvalidation.IN_PROGRESS))
        # Requests formed earlier and not accepted yet go first, in order, when due.
        for batch in batches.filter(status=CdnInvalidation.PENDING).order_by("id"):
            if not self._send(batch):
                self.report.waiting += pending_rows.count()
                return
        # New requests at most every CDN_MIN_INTERVAL: edits arriving meanwhile join the next.
        if not pending_rows.exists():
            return
        last = batches.exclude(sent_at=None).order_by("-sent_at").values_list("sent_at", flat=True).first()
        wait = settings.CDN_MIN_INTERVAL - (timezone.now() - last).total_seconds() if last else 0
        if wait > 0:
            self._retry_in(wait)
        else:
            # One request per drain, more only while the oldest rows fill requests of their own.
            while (batch := self._form_batch(pending_rows, batches)) is not None and self._send(batch) \
                    and batch.full:
                pass
        self.report.waiting += pending_rows.count()

    def _refresh_in_progress(self, in_progress) -> None:
        from ..models import CdnInvalidation

        for batch in in_progress:
            try:
                done = self.cdn.is_completed(batch.invalidation_id)
            except CdnUnavailable as exc:
                logger.warning("CDN invalidation %s: status unknown (%s)", batch.invalidation_id, exc)
                return
            if done:
                batch.status, batch.completed_at = CdnInvalidation.COMPLETED, timezone.now()
                batch.save(update_fields=["status", "completed_at"])

    def _form_batch(self, pending_rows, batches):
        """The next request from the oldest pending paths, within what the CDN can still take;
        None when nothing is pending or the CDN has as much in progress as it accepts."""
        from ..models import CdnInvalidation, CdnPath

        in_progress = list(batches.filter(status=CdnInvalidation.IN_PROGRESS).only("items"))
        wildcards = sum(batch.wildcards for batch in in_progress)
        plain = sum(len(batch.items) for batch in in_progress) - wildcards
        with transaction.atomic():
            rows = list(pending_rows.order_by("id").values_list("id", "path")[:ROWS_PER_BATCH])
            if not rows:
                return None
            plan = plan_batch((path for _, path in rows),
                              max_paths=min(self.cdn.max_paths_in_progress, settings.CDN_MAX_PATHS) - plain,
                              max_wildcards=min(self.cdn.max_wildcards_in_progress, settings.CDN_MAX_WILDCARDS)
                              - wildcards,
                              fold_threshold=settings.CDN_FOLD_THRESHOLD)
            if not plan.items:
                logger.info("CDN busy: %d paths and %d wildcards in progress; %d rows wait",
                            plain, wildcards, len(rows))
                return None
            batch = CdnInvalidation.objects.create(
                distribution=self.distribution, items=plan.items,
                caller_reference=f"{settings.KEY_PREFIX}-{uuid.uuid4().hex}")
            covered = [row_id for row_id, path in rows if plan.covered(path)]
            CdnPath.objects.filter(id__in=covered).update(invalidation=batch)
        batch.full = len(rows) == ROWS_PER_BATCH
        return batch

    def _send(self, batch) -> bool:
        """Send one request if it is due; True when the CDN accepted it."""
        from ..models import CdnInvalidation, CdnPath

        now = timezone.now()
        if batch.next_attempt_at and batch.next_attempt_at > now:
            self._retry_in((batch.next_attempt_at - now).total_seconds())
            return False
        try:
            invalidation_id = self.cdn.create_invalidation(batch.items, batch.caller_reference)
        except Exception as exc:  # noqa: BLE001 - kept in the outbox whatever it was, and logged
            self._failed(batch, exc)
            return False
        with transaction.atomic():
            batch.status, batch.invalidation_id, batch.sent_at = CdnInvalidation.IN_PROGRESS, invalidation_id, now
            batch.attempts += 1
            batch.last_error, batch.next_attempt_at = "", None
            batch.save()
            self.report.paths += CdnPath.objects.filter(invalidation=batch).delete()[0]
        self.report.sent.append(batch.caller_reference)
        logger.info("CDN invalidation %s sent: %d paths (%d wildcards), reference %s",
                    invalidation_id, len(batch.items), batch.wildcards, batch.caller_reference)
        return True

    def _failed(self, batch, exc: Exception) -> None:
        batch.attempts += 1
        delay = backoff(batch.attempts)
        if isinstance(exc, CdnBusy):
            logger.info("CDN busy (%s): %s retried in %.0f s", exc, batch.caller_reference, delay)
        elif isinstance(exc, CdnUnavailable):
            logger.warning("CDN unavailable (%s): %s retried in %.1f s", exc, batch.caller_reference, delay)
        else:  # refused (credentials, distribution, a path): an operator must look; kept meanwhile
            delay = settings.CDN_RETRY_MAX
            logger.error("CDN refused %s: %r; retried in %.0f s", batch.caller_reference, exc, delay)
        batch.last_error = str(exc)[:500]
        batch.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        batch.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        self._retry_in(delay)

    def _retry_in(self, seconds: float) -> None:
        seconds = max(seconds, 0.0)
        self.report.retry_in = seconds if self.report.retry_in is None else min(self.report.retry_in, seconds)

    def _forget_old(self, batches) -> None:
        from ..models import CdnInvalidation

        batches.filter(status=CdnInvalidation.COMPLETED, completed_at__lt=timezone.now() - KEEP_COMPLETED).delete()


def backoff(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with jitter (half to all of
    it), so that drains that failed together do not come back together."""
    ceiling = min(settings.CDN_RETRY_MAX, settings.CDN_RETRY_BASE * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)
