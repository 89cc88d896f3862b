"""Values of the Django backends as bytes: integers as text (so INCR works in Redis), the rest pickled."""
import pickle
from typing import Any


def dumps(value: Any) -> bytes:
    if type(value) is int:
        return str(value).encode()
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)
