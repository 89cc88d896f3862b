"""Domain errors raised by services; the API turns each into a JSON 4xx."""
from typing import Any


class ShopError(Exception):
    """A request the domain refuses. `status` and `code` say how the API reports it;
    `headers` are added to the response (e.g. Retry-After)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code
        self.headers: dict[str, str] = {}


class InvalidRequest(ShopError):
    status = 400
    code = "invalid"


class NotFound(ShopError):
    status = 404
    code = "not_found"


class Conflict(ShopError):
    """Valid, but the current state forbids it (e.g. not enough stock)."""

    status = 409
    code = "conflict"


class TooManyRequests(ShopError):
    """Refused by a rate limit; the client may retry after `retry_after` seconds."""

    status = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int, details: Any = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
