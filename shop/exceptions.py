"""Domain errors raised by services; the API turns each into a JSON 4xx."""
from typing import Any


class ShopError(Exception):
    """A request the domain refuses. `status` and `code` say how the API reports it."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


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
