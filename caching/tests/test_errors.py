"""The error model: what the server's state or the network says goes down the fail-open path;
a bug propagates."""
import pytest
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    ClusterDownError,
    ConnectionError,
    CrossSlotTransactionError,
    DataError,
    MasterDownError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
    SlotNotCoveredError,
    TimeoutError,
    TryAgainError,
)

from caching.errors import is_unavailable


@pytest.mark.parametrize("error", [
    ConnectionError("refused"), TimeoutError("slow"), AuthenticationError("WRONGPASS"),
    BusyLoadingError("LOADING Redis is loading the dataset in memory"),
    ReadOnlyError("READONLY You can't write against a read only replica."),
    OutOfMemoryError("OOM command not allowed when used memory > 'maxmemory'."),
    ClusterDownError("CLUSTERDOWN The cluster is down"), MasterDownError("MASTERDOWN Link with MASTER is down"),
    TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
    ResponseError("BUSY Redis is busy running a script."), ResponseError("NOREPLICAS Not enough good replicas"),
    ResponseError("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist"),
    ResponseError("Command # 2 (SET k:fence t PX 1) of pipeline caused error: OOM command not allowed"),
    SlotNotCoveredError("slot 12 not covered"), RedisClusterException("no reachable node"),
    ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
])
def test_errors_of_the_server_state_or_the_network_fail_open(error):
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    ResponseError("ERR value is not an integer or out of range"),
    ResponseError("CROSSSLOT Keys in request don't hash to the same slot"), NoScriptError("NOSCRIPT"),
    DataError("Invalid input of type: 'dict'"), CrossSlotTransactionError("keys in different slots"),
    ValueError("a bug"),
])
def test_programming_errors_propagate(error):
    assert not is_unavailable(error)
