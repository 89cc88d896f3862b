"""Project middleware."""
from django.conf import settings

from shop.api.errors import json_error_response, shop_error_response
from shop.exceptions import ShopError


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body exceeds MAX_REQUEST_BODY_BYTES with a JSON 413.

    Admin forms are left to Django's own DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return json_error_response(400, "bad_request", "Invalid Content-Length header.")
            if length > settings.MAX_REQUEST_BODY_BYTES:
                return json_error_response(
                    413, "payload_too_large", f"Request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes."
                )
        return self.get_response(request)


class ShopErrorMiddleware:
    """A ShopError raised outside DRF (the admin's login form hitting the login throttle)
    gets the same JSON error response, with its headers, as in the API."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ShopError):
            return shop_error_response(exception)
        return None
