"""What the AWS backends share: one way to build a boto3 client, one mapping of AWS's errors.

boto3 finds the endpoint and credentials the standard way: AWS_ENDPOINT_URL (moto's
server in tests and in `make run`'s local stack), AWS_ACCESS_KEY_ID and friends, or the
instance's role. botocore's own retries are kept few and quick; the drain backs off
across runs (caching.cdn.drain), so a long throttling episode holds no worker.
"""
from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..conf import settings
from .base import CdnBusy, CdnUnavailable

# Error codes that mean "not now" rather than "never": throttling and the CDN's own limits.
RETRYABLE_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                             "RequestLimitExceeded", "ServiceUnavailable", "InternalError"})
BUSY_CODES = frozenset({"TooManyInvalidationsInProgress"})


def client(service: str):
    """A boto3 client of `service` in CDN_REGION, with few, quick retries and short timeouts."""
    return boto3.client(service, region_name=settings.CDN_REGION, config=Config(
        retries={"mode": "standard", "total_max_attempts": settings.CDN_API_ATTEMPTS},
        connect_timeout=3, read_timeout=10))


def call_aws(method, **kwargs) -> dict:
    """Call a boto3 client method; "not now" errors become CdnUnavailable (CdnBusy), others propagate."""
    try:
        return method(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in BUSY_CODES:
            raise CdnBusy(code) from exc
        if code in RETRYABLE_CODES or status >= 500:
            raise CdnUnavailable(f"{code or status}: {exc}") from exc
        raise
    except BotoCoreError as exc:  # unreachable, timed out, retries used up
        raise CdnUnavailable(str(exc)) from exc
