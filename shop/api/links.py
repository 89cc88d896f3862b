"""Links in API bodies: built from PUBLIC_BASE_URL, never from the request's Host header,
so a cached body is the same whatever host or port a client used."""
from django.conf import settings


def public_url(path: str) -> str:
    """`path` under PUBLIC_BASE_URL (e.g. https://shop.example.com/api/v1/products/), or the
    bare path (a relative link) when it is not set."""
    return f"{settings.PUBLIC_BASE_URL}{path}"
