"""OpenAPI building blocks shared by every app's views: the error shape, the HTTP caching
and retry headers, the session/CSRF security schemes, pages, and one decorator that puts
them together so that each operation lists every response it can give.

The views serve bodies rendered once and cached as bytes, so the schema cannot be
inferred from them: each operation names its response serializer here explicitly.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers

from caching import Status
from shop.api.ids import MAX_ID
from shop.api.schema_text import refine_text_schema
from shop.db_errors import RETRY_AFTER_SECONDS

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

SESSION_COOKIE = "sessionCookie"
CSRF_COOKIE = "csrfCookie"
CSRF_HEADER = "csrfHeader"


# --- security -----------------------------------------------------------------------------

class CsrfSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """shop.api.authentication.CsrfSessionAuthentication: Django's session cookie, and on every
    unsafe request the CSRF token (the `csrftoken` cookie echoed in `X-CSRFToken`), for
    anonymous requests as well (an anonymous cart is tied to the cookie too)."""

    target_class = "shop.api.authentication.CsrfSessionAuthentication"
    name = [SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "cookie", "name": "sessionid",
             "description": "Django's session cookie, set by `POST auth/login/` (and by a first cart write)."},
            {"type": "apiKey", "in": "cookie", "name": "csrftoken",
             "description": "The CSRF cookie, set by `GET session/`; required on unsafe methods."},
            {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
             "description": "The CSRF token (`csrf_token` of `GET session/`, or the `csrftoken` cookie's value); "
                            "required with the cookie on every POST, PATCH, PUT and DELETE, anonymous ones too."},
        ]

    def get_security_requirement(self, auto_schema):
        session = {SESSION_COOKIE: []}
        if auto_schema.method in SAFE_METHODS:
            return session
        with_csrf = {**session, CSRF_COOKIE: [], CSRF_HEADER: []}
        if _allows_anonymous(auto_schema.view):
            return [with_csrf, {CSRF_COOKIE: [], CSRF_HEADER: []}]
        return with_csrf


def _allows_anonymous(view) -> bool:
    return any(isinstance(permission, permissions.AllowAny) for permission in view.get_permissions())


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with these corrections:

    - AllowAny does not make an unsafe method's security optional: CSRF is checked on
      every unsafe request, logged in or not;
    - a model serializer's response lists every readable field as required: it represents
      a model instance, which has them all (drf-spectacular only marks read-only ones);
    - a nested list states its bounds, and a request's text fields state exactly what DRF
      accepts (shop.api.schema_text).
    """

    def get_auth(self):
        auths = super().get_auth()
        if self.method not in SAFE_METHODS:
            auths = [requirement for requirement in auths if requirement]
        return auths

    _directions: list[str]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A nested list's bounds (e.g. at most 10 addresses): DRF checks them, drf-spectacular omits them.
        if isinstance(field, serializers.ListSerializer):
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
            if field.min_length is not None or not field.allow_empty:
                schema["minItems"] = max(field.min_length or 0, 0 if field.allow_empty else 1)
        return schema

    def _map_basic_serializer(self, serializer, direction):
        # Remembered for _insert_field_validators, which is not told the direction.
        self._directions = [*getattr(self, "_directions", []), direction]
        try:
            schema = super()._map_basic_serializer(serializer, direction)
        finally:
            self._directions.pop()
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer):
            readable = [name for name, field in serializer.fields.items() if not field.write_only]
            schema["required"] = sorted(readable)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        handler = getattr(self.view, self.method.lower(), None)
        for status, links in getattr(handler, "openapi_links", {}).items():
            responses[str(status)]["links"] = links
        return responses

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        # What a client may send (whitespace around, never NUL); a response shows stored values.
        if getattr(self, "_directions", None) and self._directions[-1] == "request":
            refine_text_schema(field, schema)


# --- shapes -------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "format": "uri-reference", "nullable": True,
                      "description": "Absolute under PUBLIC_BASE_URL when it is set, else a relative link."})
class LinkField(serializers.CharField):
    """A page link: absolute or relative (a URI reference), or null on the first/last page."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)


def page_serializer(name: str, item_serializer: type[serializers.Serializer], *,
                    capped_count: bool = False) -> serializers.Serializer:
    """The body of one page of `item_serializer`s (shop.api.pages.page_body, catalog.listings)."""
    fields = {
        "count": serializers.IntegerField(min_value=0, help_text="Items over all pages."),
        "next": LinkField(),
        "previous": LinkField(),
        "results": item_serializer(many=True),
    }
    if capped_count:
        fields["count"] = serializers.IntegerField(
            min_value=0, help_text="Items over all pages, counted up to 10,000: see `count_is_exact`.")
        fields["count_is_exact"] = serializers.BooleanField(
            help_text="False when there are more than `count` items: a listing counts, and pages, up to its "
                      "first 10,000 products (narrow it with a category or a price range); a search counts all.")
    return type(name, (serializers.Serializer,), fields)()


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(
        help_text="Machine-readable: e.g. `invalid`, `parse_error`, `not_authenticated`, `permission_denied`, "
                  "`not_found`, `conflict`, `cart_changed`, `price_changed`, `unavailable`, "
                  "`payload_too_large`, `unsupported_media_type`, `throttled`.")
    message = serializers.CharField(help_text="For people.")
    details = serializers.JSONField(
        required=False,
        help_text="Present when there is more to say: for a 400, the offending fields and their messages.")


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (shop.api.errors.error_body)."""

    error = ErrorBodySerializer()


def error_serializer(name: str, details: serializers.Field) -> serializers.Serializer:
    """The error shape with `details` of a known shape (e.g. a 409 carrying the current cart)."""
    body = type(f"{name}Body", (ErrorBodySerializer,), {"details": details})
    return type(name, (serializers.Serializer,), {"error": body()})()


# --- headers and parameters ---------------------------------------------------------------

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER,
    description="An `ETag` this endpoint sent before: the answer is a 304 with no body while it is current.")


def _header(name: str, schema: dict, statuses: Sequence[int], description: str, required: bool = True):
    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, required=required, description=description,
                            response=list(statuses))


def id_parameter(name: str, description: str) -> OpenApiParameter:
    """A path id: digits in the URL (anything else is a 404), 1..2^63-1 (else a 400)."""
    return OpenApiParameter(
        name, {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH,
        description=f"{description} From 1 to {MAX_ID}: a value out of that range is a 400, "
                    f"anything but digits a 404.")


# --- responses ----------------------------------------------------------------------------

def _error(description: str, serializer: Any = None) -> OpenApiResponse:
    return OpenApiResponse(response=serializer or ErrorSerializer, description=description)


ERRORS: dict[int, str] = {
    400: "Invalid input: a query, path or body value (`invalid`, `details` names the fields), malformed JSON "
         "(`parse_error`), or an invalid `Content-Length` header (`bad_request`). Nothing was changed.",
    403: "Refused: not logged in (`not_authenticated`), or an unsafe request without a valid CSRF token "
         "(`permission_denied`).",
    404: "Not found (`not_found`).",
    406: "The `Accept` header names no media type this API renders (it renders `application/json` only).",
    409: "Valid, but the current state forbids it (see `code` and `details`). Nothing was changed.",
    413: "The request body (or its declared `Content-Length`) is above MAX_REQUEST_BODY_BYTES "
         "(`payload_too_large`).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    429: "Too many failed logins for this username or from this address (`throttled`); retry after "
         "`Retry-After` seconds.",
    503: f"The database is briefly unavailable (`unavailable`); retry after `Retry-After` seconds "
         f"({RETRY_AFTER_SECONDS}).",
}

# Not from the API: the HTTP server refuses a request line above its limit (gunicorn: 4094
# bytes) before the application sees it, with a body of its own (HTML, not the error shape).
URI_TOO_LONG = OpenApiResponse(
    description="The URL is too long for the HTTP server in front of the API (gunicorn's limit is 4094 bytes for "
                "the request line). Its body is the server's own, not the JSON error shape.")

# Every operation can meet these: an invalid or oversized Content-Length is refused by a
# middleware before routing, an Accept header the renderer cannot satisfy before the view,
# and a database outage anywhere.
ALWAYS = (400, 406, 413, 503)


def api_operation(
    *,
    ok: dict[int, Any],
    errors: Iterable[int] = (),
    descriptions: dict[int, str] | None = None,
    error_bodies: dict[int, Any] | None = None,
    cached: bool = False,
    cached_headers_always: bool = True,
    parameters: Sequence[Any] = (),
    request: Any = None,
    links: dict[int, dict[str, tuple[str, dict[str, str]]]] | None = None,
    **kwargs,
):
    """extend_schema for one operation: its success responses `ok`, and every error it can give.

    `errors` are added to ALWAYS; `descriptions` and `error_bodies` refine an error's text and
    body. `cached`: the body is served from the cache layer with an ETag, so a conditional
    GET gets a 304, and both carry ETag and X-Cache (`cached_headers_always=False` when some
    200s, e.g. an empty anonymous cart, are built without the cache). `links`: for a status,
    {name: (operationId, {parameter: runtime expression})}, the operations its body leads to.
    """
    statuses = sorted({*ALWAYS, *errors})
    responses: dict[int, Any] = dict(ok)
    for status in statuses:
        text = (descriptions or {}).get(status, ERRORS[status])
        responses[status] = _error(text, (error_bodies or {}).get(status))
    responses[414] = URI_TOO_LONG
    headers = [
        _header("Retry-After", {"type": "integer", "minimum": 1}, [s for s in (429, 503) if s in statuses],
                "Seconds to wait before retrying."),
    ]
    params = list(parameters)
    if cached:
        ok_statuses = [s for s in ok if 200 <= s < 300]
        responses[304] = OpenApiResponse(description="Not modified: the `If-None-Match` ETag is current. No body.")
        params.append(IF_NONE_MATCH)
        headers += [
            _header("ETag", {"type": "string"}, [*ok_statuses, 304],
                    "Computed from the body's bytes.", required=cached_headers_always),
            _header("X-Cache", {"type": "string", "enum": [status.value for status in Status]}, [*ok_statuses, 304],
                    "Where the body came from: the process (L1), Redis (L2), the database (MISS), a stale entry "
                    "being refreshed, or the layer switched off.", required=cached_headers_always),
        ]
    schema = extend_schema(request=request, responses=responses, parameters=[*params, *headers], **kwargs)

    def decorate(handler):
        handler = schema(handler)
        # Read by ShopAutoSchema._get_response_bodies: drf-spectacular has no argument for links.
        handler.openapi_links = {
            status: {name: {"operationId": operation_id, "parameters": values}
                     for name, (operation_id, values) in named.items()}
            for status, named in (links or {}).items()
        }
        return handler

    return decorate

