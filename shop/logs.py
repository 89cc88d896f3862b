"""Structured logs: one JSON object per line, each carrying the id of the request it served.

The request id comes from the client's (or the load balancer's) `X-Request-ID` when it
is a plain token, else a new one; it is sent back in the response, passed in the
headers of every Celery task the request queues, and set again in the worker while the
task runs, so one id follows a change from the request to the CDN drain it started.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

import orjson
from django.core.signals import request_finished
from django.dispatch import receiver

request_id: ContextVar[str] = ContextVar("request_id", default="")

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")  # nothing a log line could be forged with
# What every record has; anything else passed with `extra=` becomes a field of the line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def new_request_id(proposed: str | None = None) -> str:
    if proposed and _ACCEPTED.fullmatch(proposed):
        return proposed
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id ("" outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class RequestIdMiddleware:
    """Sets the request id for the request's log lines and sends it back. It is cleared when
    the response is closed (request_finished), not when this middleware returns: Django logs
    a 4xx or 5xx response after the middleware chain, and that line belongs to the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id.set(new_request_id(request.META.get("HTTP_X_REQUEST_ID")))
        response = self.get_response(request)
        response[HEADER] = request_id.get()
        return response


@receiver(request_finished)
def _forget_request_id(**kwargs) -> None:
    request_id.set("")
