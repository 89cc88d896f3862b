"""How values become bytes in Redis: a serializer per data type, inside a small envelope.

The envelope carries what stampede protection needs next to the payload: the
soft expiry (when the entry turns stale) and delta (how long the loader took,
for XFetch's early refresh), plus a compression flag.
"""
from __future__ import annotations

import pickle
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

_HEADER = struct.Struct("<Bdf")  # flags, soft expiry (unix s), delta (s)
_COMPRESSED = 0x01


class Serializer:
    """Turns a value into bytes and back."""

    def dumps(self, value: Any) -> bytes:
        raise NotImplementedError("subclasses of Serializer must provide a dumps() method")

    def loads(self, data: bytes) -> Any:
        raise NotImplementedError("subclasses of Serializer must provide a loads() method")


class JSONSerializer(Serializer):
    """orjson: dicts, lists, numbers, strings; Decimals and datetimes as strings."""

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value, default=str)

    def loads(self, data: bytes) -> Any:
        return orjson.loads(data)


class PickleSerializer(Serializer):
    """Any picklable Python object (model instances, querysets' lists)."""

    def dumps(self, value: Any) -> bytes:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)


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
    "pickle": PickleSerializer(),
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
    return _HEADER.pack(flags, soft_expires_at, delta) + payload


def unpack(blob: bytes) -> Envelope:
    flags, soft_expires_at, delta = _HEADER.unpack_from(blob)
    payload = blob[_HEADER.size :]
    if flags & _COMPRESSED:
        payload = zlib.decompress(payload)
    return Envelope(payload, soft_expires_at, delta)
