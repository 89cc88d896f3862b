"""Listing and search responses: normalised parameters, and bodies assembled from product cards.

A page is an entry of ids (and, for searches, the count), a count entry, and one
card per product, all from the cache; the body is their bytes joined, so a hit
renders nothing. Links carry validated parameters only, from PUBLIC_BASE_URL.
"""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import orjson
from rest_framework.exceptions import NotFound

import caching
from caching import Status

from . import payloads

DEFAULT_PAGE_SIZE = 20


def listing_params(validated: dict, *, category_id: int | None, query: str | None = None) -> dict:
    """The normalised parameters of a listing or search page: its cache id and its input.
    Defaults are filled in, so `?page=1` and no page share an entry."""
    params = {
        "scope": caching.get_or_load("listing_scope", category_id or 0),
        "min_price": _decimal(validated.get("min_price")),
        "max_price": _decimal(validated.get("max_price")),
        "ordering": validated.get("ordering") or "",
        "page": validated.get("page") or 1,
        "page_size": validated.get("page_size") or DEFAULT_PAGE_SIZE,
    }
    if query is not None:
        params["q"] = query
    return params


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def page_body(params: dict, *, base_url: str, extra_query: dict, search: bool) -> tuple[bytes, Status]:
    """The body of one listing or search page, and where its ids came from (X-Cache)."""
    if search:
        page = caching.fetch("search", params)
        ids, count, exact = page.value["ids"], page.value["count"], True
    else:
        count_params = {k: params[k] for k in ("scope", "min_price", "max_price")}
        counted = caching.get_or_load("listing_count", count_params)
        count, exact = counted["count"], counted["exact"]
        page = None
    size, number = params["page_size"], params["page"]
    if number > 1 and (number - 1) * size >= count:
        raise NotFound("Invalid page.")
    if page is None:
        page = caching.fetch("listing_page", params)
        ids = page.value["ids"]
    cards = caching.get_many("product_card", ids, payloads.product_cards) if ids else {}
    results = b",".join(cards[product_id] for product_id in ids if cards.get(product_id))

    def link(to: int) -> str:
        query = {name: params[name] for name in ("q", "min_price", "max_price", "ordering") if params.get(name)}
        query.update(extra_query)
        query.update({"page": to, "page_size": size})
        return f"{base_url}?{urlencode(query)}"

    head = orjson.dumps({"count": count, "count_is_exact": exact,
                         "next": link(number + 1) if number * size < count else None,
                         "previous": link(number - 1) if number > 1 else None})
    return head[:-1] + b',"results":[' + results + b"]}", page.status

