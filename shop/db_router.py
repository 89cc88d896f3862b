"""Read replicas: reads that may be a little old go to a healthy replica, the rest to the primary.

django-multidb-router's pinning router decides read-your-writes: a request that may write
(any method but GET, HEAD, OPTIONS, TRACE) pins its thread to the primary and gives the
client a cookie that pins its next requests for `MULTIDB_PINNING_SECONDS`, longer than
the lag a replica is allowed. On top of it, a replica is used only

- by a request that is not pinned, or by a Celery task on the warming queue: the cache
  layer's loaders run inside requests, so catalog loads on a miss, listings, search and
  warming read replicas, while other tasks and management commands (stock, orders,
  migrations, one-off fixes) read the primary, where what they read is what they act on;
- outside a transaction on the primary: a read inside one must see its own writes and
  take part in its locks;
- when that replica answered its last check, done at most every
  `DATABASE_REPLICA_CHECK_SECONDS` per process, with its replication running and no more
  than `DATABASE_REPLICA_MAX_LAG` seconds behind (`DATABASE_REPLICA_KIND`: `mysql` reads
  SHOW SLAVE STATUS, `aurora` the reader's own row of replica_host_status). Otherwise it is skipped, logged and
  counted, and the read goes to the next replica or the primary.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from multidb import PinningReplicaRouter
from multidb.middleware import READ_ONLY_METHODS, PinningRouterMiddleware
from multidb.pinning import this_thread_is_pinned
from prometheus_client import Counter

logger = logging.getLogger(__name__)

REPLICA_SKIPPED = Counter(
    "db_replica_skipped_total",
    "Reads sent to the primary (or another replica) because a replica was down or lagging, by replica and reason.",
    ["replica", "reason"],
)
WARMING_QUEUE = "warming"

_request = threading.local()


def replica_aliases() -> list[str]:
    """The aliases of the replicas, in the order they are tried."""
    return list(getattr(settings, "REPLICA_DATABASES", ()))


class ReplicaHealth:
    """Each replica's last verdict in this process, so a check costs one query every few seconds,
    not one per read. `clock` is overridable for tests."""

    clock: Callable[[], float] = time.monotonic

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[str, tuple[float, str | None]] = {}

    def problem(self, alias: str) -> str | None:
        """None when `alias` may serve reads; else why not (`down`, `stopped`, `lagging`)."""
        now = self.clock()
        with self._lock:
            checked_at, problem = self._verdicts.get(alias, (None, None))
        if checked_at is None or now - checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS:
            problem = self._check(alias)
            with self._lock:
                self._verdicts[alias] = (now, problem)
            if problem:
                logger.warning("database replica %s skipped: %s", alias, problem)
        elif problem is None:
            # Between checks, a replica that went away since is caught by the connection's
            # own health check (CONN_HEALTH_CHECKS), once per request.
            problem = self._connect(alias)
            if problem:
                with self._lock:
                    self._verdicts[alias] = (now, problem)
                logger.warning("database replica %s skipped: %s", alias, problem)
        return problem

    def forget(self) -> None:
        """Drop every verdict: the next read checks again."""
        with self._lock:
            self._verdicts.clear()

    @staticmethod
    def _connect(alias: str) -> str | None:
        try:
            connections[alias].ensure_connection()
        except DatabaseError:
            return "down"
        return None

    def _check(self, alias: str) -> str | None:
        problem = self._connect(alias)
        if problem:
            return problem
        check = AURORA_REPLICA_STATUS if settings.DATABASE_REPLICA_KIND == "aurora" else MYSQL_REPLICA_STATUS
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(check)
                row = cursor.fetchone()
                columns = [column[0].lower() for column in cursor.description or ()]
        except DatabaseError:
            return "down"
        status = dict(zip(columns, row or (), strict=False))
        if settings.DATABASE_REPLICA_KIND == "aurora":
            return _aurora_problem(status)
        if status.get("slave_io_running") != "Yes" or status.get("slave_sql_running") != "Yes":
            return "stopped"  # not applying: how far behind it falls is unbounded
        lag = status.get("seconds_behind_master")
        if lag is None or int(lag) > settings.DATABASE_REPLICA_MAX_LAG:
            return "lagging"
        return None


# MySQL and MariaDB replicas: the replication threads and Seconds_Behind_Master.
MYSQL_REPLICA_STATUS = "SHOW SLAVE STATUS"
# Aurora MySQL readers replicate at the storage layer and answer SHOW SLAVE STATUS with no
# row; each instance reports its own lag in this table, under its @@aurora_server_id.
AURORA_REPLICA_STATUS = ("SELECT session_id, replica_lag_in_milliseconds FROM information_schema.replica_host_status"
                         " WHERE server_id = @@aurora_server_id")


def _aurora_problem(status: dict) -> str | None:
    if not status:
        return "stopped"  # not in the cluster's status table: not a reader we can vouch for
    if status.get("session_id") == "MASTER_SESSION_ID":
        return None  # the writer itself (a reader endpoint with no reader left falls back to it)
    lag = status.get("replica_lag_in_milliseconds")
    if lag is None or float(lag) / 1000 > settings.DATABASE_REPLICA_MAX_LAG:
        return "lagging"
    return None


replica_health = ReplicaHealth()


def _may_read_replica() -> bool:
    if getattr(_request, "replica_reads", False):
        return True
    from celery import current_task

    if current_task and current_task.request.id:
        queue = (current_task.request.delivery_info or {}).get("routing_key")
        return queue == WARMING_QUEUE
    return False


class ReplicaRouter(PinningReplicaRouter):
    """The library's pinning router, reading a replica only where staleness is safe and only
    from a replica in good health; migrations run on the primary alone."""

    health = replica_health

    def db_for_read(self, model: Any, **hints: Any) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS  # related rows of a primary row: from the same snapshot
        if this_thread_is_pinned() or connections[DEFAULT_DB_ALIAS].in_atomic_block or not _may_read_replica():
            return DEFAULT_DB_ALIAS
        for alias in replica_aliases():
            problem = self.health.problem(alias)
            if problem is None:
                return alias
            REPLICA_SKIPPED.labels(alias, problem).inc()
        return DEFAULT_DB_ALIAS


class ReplicaPinningMiddleware(PinningRouterMiddleware):
    """Pins writers and recent writers to the primary (the library's cookie) and lets every
    other request's reads go to a replica; the flag is cleared when the response leaves, so
    a worker thread never carries it into work outside a request."""

    def process_request(self, request):
        super().process_request(request)
        _request.replica_reads = request.method in READ_ONLY_METHODS and not this_thread_is_pinned()

    def process_response(self, request, response):
        _request.replica_reads = False
        return super().process_response(request, response)
