"""Values of the Django backends as bytes, never pickled.

- an int is its decimal text, so Redis INCR works on it;
- bytes are stored behind a one-byte tag;
- anything else must be JSON (dict, list, str, float, bool, None) and is stored
  as JSON behind another tag. A value JSON cannot hold exactly (a Decimal, a
  datetime, a model instance) is refused with TypeError when it is set, rather
  than coming back as something else.

`loads` raises Undecodable for bytes this module did not write (a pickle
someone put into Redis, say); the backends count it and treat it as a miss.
"""
from __future__ import annotations

from typing import Any

import orjson

from ..serializers import Undecodable

_BYTES = b"\x01"
_JSON = b"\x02"
_INT_START = frozenset(b"-0123456789")


def dumps(value: Any) -> bytes:
    if type(value) is int:
        return str(value).encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return _BYTES + bytes(value)
    try:
        # No `default`, and datetimes passed through: a type JSON would turn into a
        # string raises instead.
        return _JSON + orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"cache values must be int, bytes or JSON, not {type(value).__name__}: {exc}") from None


def loads(data: bytes) -> Any:
    if not data:
        raise Undecodable("empty value")
    tag = data[:1]
    if tag == _BYTES:
        return data[1:]
    if tag == _JSON:
        try:
            return orjson.loads(data[1:])
        except orjson.JSONDecodeError:
            raise Undecodable("not JSON") from None
    if data[0] in _INT_START:
        try:
            return int(data)
        except ValueError:
            pass
    raise Undecodable("not a value of this backend")
