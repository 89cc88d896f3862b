"""One page of a queryset as the API shows it, for bodies rendered once and cached."""
from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound


def page_body(queryset: QuerySet, *, page: int, size: int, link: Callable[[int], str],
              represent: Callable[[list], list]) -> dict:
    """{"count", "next", "previous", "results"}; a page past the end is a 404 (never cached).

    `link(page)` builds the URL of another page from validated parameters only, so
    nothing a client added to its URL ends up in a cached body.
    """
    count = queryset.count()
    if page > 1 and (page - 1) * size >= count:
        raise NotFound("Invalid page.")
    return {
        "count": count,
        "next": link(page + 1) if page * size < count else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": represent(queryset[(page - 1) * size : page * size]),
    }
