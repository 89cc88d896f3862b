"""HTTP caching (L4) for responses served from the cache layer: X-Cache, ETag/304, Cache-Control."""
from __future__ import annotations

import hashlib

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

from caching.edge import PRIVATE, CachePolicy

__all__ = ["PRIVATE", "CachePolicy", "cached_json_response", "etag_of"]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    candidates = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return etag in candidates


def cached_json_response(request, body: bytes, *, status: str, policy: CachePolicy) -> HttpResponse:
    """A JSON response from cached bytes; a 304 when the client already has them.

    The ETag is computed from the bytes, so a conditional GET answered from
    the cache touches neither the database nor a serializer.
    """
    etag = etag_of(body)
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match and _matches(if_none_match, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["X-Cache"] = status
    response["Cache-Control"] = policy.header_for(status)
    if not policy.public:
        patch_vary_headers(response, ["Cookie"])
    return response
