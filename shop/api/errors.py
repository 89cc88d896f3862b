"""One JSON error shape for every 4xx and 5xx: {"error": {"status", "code", "message", "details"}}."""
from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from shop.db_errors import RETRY_AFTER_SECONDS, is_database_unavailable
from shop.exceptions import ShopError


def error_body(status_code: int, code: str, message: str, details: Any = None) -> dict:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if details:
        body["details"] = details
    return {"error": body}


def _message_and_details(exc: exceptions.APIException) -> tuple[str, Any]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        return "Invalid input.", detail
    if isinstance(detail, dict):
        return str(detail.get("message", exc.default_detail)), detail.get("details")
    return str(detail), None


def json_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler that wraps every API error in the shared JSON shape."""
    if isinstance(exc, ShopError):
        return Response(error_body(exc.status, exc.code, exc.message, exc.details), status=exc.status,
                        headers=exc.headers)
    if is_database_unavailable(exc):
        return Response(_unavailable_body(), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    message, details = _message_and_details(exc)
    response.data = error_body(response.status_code, code, message, details)
    return response


def _unavailable_body() -> dict:
    return error_body(503, "unavailable", "The service is briefly unavailable; retry shortly.")


def json_error_response(status_code: int, code: str, message: str, *, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message), status=status_code, headers=headers)


def shop_error_response(exc: ShopError) -> JsonResponse:
    return JsonResponse(error_body(exc.status, exc.code, exc.message, exc.details), status=exc.status,
                        headers=exc.headers)


def handler400(request, exception=None):
    return json_error_response(400, "bad_request", "Bad request.")


def handler403(request, exception=None):
    return json_error_response(403, "permission_denied", "Permission denied.")


def handler404(request, exception=None):
    return json_error_response(404, "not_found", "Not found.")


def handler500(request):
    # Django calls this while it handles the exception: a database that is down or
    # locked, wherever it was hit (a view, a middleware, the session), is a 503.
    if is_database_unavailable(sys.exc_info()[1]):
        return JsonResponse(_unavailable_body(), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return json_error_response(500, "server_error", "Internal server error.")
