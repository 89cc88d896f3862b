"""The cache layer's error model: which Redis errors mean "the server cannot serve this now".

Those fail open: the circuit breaker counts them, reads load from the database
and invalidations go to the outbox. They are what a failover, a full or
read-only server, a restart or a network fault produce. Anything else (a wrong
command, a script bug, keys in different cluster slots) is a programming error
and propagates.
"""
from __future__ import annotations

from redis.exceptions import (
    ClusterError,
    ConnectionError,
    CrossSlotTransactionError,
    InvalidPipelineStack,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
    TimeoutError,
    TryAgainError,
)

# ConnectionError covers LOADING (BusyLoadingError), authentication and a full pool;
# ClusterError covers CLUSTERDOWN and MASTERDOWN.
_UNAVAILABLE_TYPES = (ConnectionError, TimeoutError, ReadOnlyError, OutOfMemoryError, TryAgainError, ClusterError)
# Error replies redis-py raises as a plain ResponseError (BUSY: a script or module runs
# too long; NOREPLICAS: min-replicas-to-write unmet; MISCONF: a failed save stops writes;
# WRONGTYPE: someone else's value of another type under one of our keys, which like any
# value we did not write is a miss, not an error), and the codes of the types above, as
# they appear inside a pipeline's error message.
_UNAVAILABLE_CODES = ("BUSY", "NOREPLICAS", "MISCONF", "LOADING", "READONLY", "OOM", "MASTERDOWN", "CLUSTERDOWN",
                      "TRYAGAIN", "WRONGTYPE")
_PROGRAMMING_CLUSTER_ERRORS = (CrossSlotTransactionError, InvalidPipelineStack)


class L2Unavailable(Exception):
    """Redis cannot serve this now (down, slow, read-only, full...) or the breaker is open:
    serve from the database."""


def is_unavailable(exc: BaseException) -> bool:
    """True for an error of the server's state or of the network, False for a bug."""
    if isinstance(exc, _UNAVAILABLE_TYPES):
        return True
    if isinstance(exc, RedisClusterException):
        return not isinstance(exc, _PROGRAMMING_CLUSTER_ERRORS)  # e.g. no reachable node, slot not covered
    if isinstance(exc, ResponseError):
        message = str(exc)
        # A pipeline prefixes the server's reply: "Command # 2 (SET ...) of pipeline caused error: OOM ..."
        reply = message.rsplit("caused error: ", 1)[-1]
        return reply.startswith(_UNAVAILABLE_CODES)
    return False
