"""How values become bytes in Redis: a serializer per data type, inside a small envelope.

Nothing read from Redis is unpickled: a value is JSON or raw bytes, so whatever
someone manages to write into Redis can at worst be a wrong value, never code
that runs here. Anything that does not decode is `Undecodable`, which the
strategies treat as a miss.

The envelope carries what stampede protection needs next to the payload: the
soft expiry (when the entry turns stale) and delta (how long the loader took,
for XFetch's early refresh), plus a compression flag, behind a magic prefix.
"""
from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

_MAGIC = b"c1"
_HEADER = struct.Struct("<2sBdf")  # magic, flags, soft expiry (unix s), delta (s)
_COMPRESSED = 0x01
_KNOWN_FLAGS = _COMPRESSED
# A compressed payload never inflates beyond this: a crafted one must not exhaust memory.
_MAX_PAYLOAD = 32 * 1024 * 1024


class Undecodable(ValueError):
    """Bytes read from Redis that are not an entry this layer wrote: treated as a miss."""


class Serializer:
    """Turns a value into bytes and back; `loads` raises Undecodable for foreign bytes."""

    def dumps(self, value: Any) -> bytes:
        raise NotImplementedError("subclasses of Serializer must provide a dumps() method")

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError("subclasses of Serializer must provide a loads() method")


class JSONSerializer(Serializer):
    """orjson: dicts, lists, numbers, strings; Decimals and datetimes as strings."""

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value, default=str)

    def loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise Undecodable(f"not JSON: {exc}") from None


class RawSerializer(Serializer):
    """Ready-to-send bytes (a rendered JSON body): stored and returned as they are."""

    def dumps(self, value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"RawSerializer stores bytes, not {type(value).__name__}")
        return bytes(value)

    def loads(self, data: bytes) -> Any:
        return data


SERIALIZERS: dict[str, Serializer] = {
    "json": JSONSerializer(),
    "raw": RawSerializer(),
}


@dataclass(frozen=True, slots=True)
class Envelope:
    payload: bytes
    soft_expires_at: float
    delta: float


def pack(payload: bytes, *, soft_expires_at: float, delta: float, compress_threshold: int) -> bytes:
    flags = 0
    if compress_threshold and len(payload) >= compress_threshold:
        payload = zlib.compress(payload, 1)
        flags |= _COMPRESSED
    return _HEADER.pack(_MAGIC, flags, soft_expires_at, delta) + payload


def unpack(blob: bytes) -> Envelope:
    """The envelope of an entry; Undecodable when `blob` is not one this layer wrote."""
    try:
        magic, flags, soft_expires_at, delta = _HEADER.unpack_from(blob)
    except struct.error:
        raise Undecodable("shorter than an envelope header") from None
    if magic != _MAGIC or flags & ~_KNOWN_FLAGS or not (math.isfinite(soft_expires_at) and math.isfinite(delta)):
        raise Undecodable("not an envelope of this layer")
    payload = blob[_HEADER.size :]
    if flags & _COMPRESSED:
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(payload, _MAX_PAYLOAD)
        except zlib.error:
            raise Undecodable("corrupt compressed payload") from None
        if inflater.unconsumed_tail or not inflater.eof:
            raise Undecodable("compressed payload too large or truncated")
    return Envelope(payload, soft_expires_at, delta)
