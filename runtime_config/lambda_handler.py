"""AWS Lambda entry point: `runtime_config.lambda_handler.handler`, for S3 event notifications
(directly, or through SNS) on the config bucket. Needs no Django: the package holds this
folder, boto3 (the runtime's), redis and PyYAML (scripts/package-lambda.sh).

Environment: CONFIG_BUCKET_NAME, REDIS_URL (the Redis the shop reads its configs from: its
store, REDIS_STORE_URL there), AWS_REGION, and optionally CONFIG_PREFIX, CONFIG_MAX_BYTES.
"""
from __future__ import annotations

import json
import logging
import os
import time

import boto3
import redis

from .sync import MAX_BYTES, ConfigSync, MalformedEvent

_service: ConfigSync | None = None


class _JsonLines(logging.Formatter):
    """One JSON object a line, as the shop logs (its formatter needs Django; this does not)."""

    standard = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        line.update({name: value for name, value in vars(record).items() if name not in self.standard})
        return json.dumps(line, default=str)


def _configure_logging() -> None:
    logger = logging.getLogger("runtime_config")
    if not any(isinstance(handler.formatter, _JsonLines) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(_JsonLines())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def service() -> ConfigSync:
    """Built once per Lambda container (its clients are reused by later invocations)."""
    global _service
    if _service is None:
        _configure_logging()
        _service = ConfigSync(
            s3=boto3.client("s3", region_name=os.environ.get("AWS_REGION", "us-east-1")),
            redis=redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5),
            bucket=os.environ["CONFIG_BUCKET_NAME"], prefix=os.environ.get("CONFIG_PREFIX", ""),
            max_bytes=int(os.environ.get("CONFIG_MAX_BYTES", MAX_BYTES)))
    return _service


def handler(event, context) -> dict:
    """Apply the event's object changes. A malformed event is answered, not raised: Lambda
    would retry it, and it would never get better."""
    try:
        outcomes = service().handle_event(event)
    except MalformedEvent as exc:
        return {"error": "malformed_event", "message": str(exc), "outcomes": []}
    return {"outcomes": [outcome.as_dict() for outcome in outcomes]}
