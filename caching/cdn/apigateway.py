"""API Gateway's stage cache through boto3: FlushStageCache.

A REST API stage caches responses per method, path and cache-key parameters. Its entries
can only be dropped one at a time by a signed client request for that exact key, which a
wildcard such as `/api/v1/products/?*` (every page and ordering) cannot name; so a batch
of paths flushes the whole stage. The drain sends at most one request every
CDN_MIN_INTERVAL seconds, so under a steady stream of edits the stage cache is emptied at
most that often, and CloudFront, in front of it, keeps serving its own copies meanwhile.
A flush is done when the call returns, and flushing twice is harmless, which is all the
drain's CallerReference is for.
"""
from __future__ import annotations

from .aws import call_aws, client
from .base import CdnBackend


class ApiGatewayStageCache(CdnBackend):
    # A flush is one call whatever the paths: no limit of its own on them.
    max_paths_in_progress = 100_000
    max_wildcards_in_progress = 100_000

    def __init__(self, stage: str):
        super().__init__(stage)
        self.rest_api_id, self.stage_name = stage.split("/", 1)
        self.client = client("apigateway")

    def create_invalidation(self, paths: list[str], caller_reference: str) -> str:
        call_aws(self.client.flush_stage_cache, restApiId=self.rest_api_id, stageName=self.stage_name)
        return caller_reference

    def is_completed(self, invalidation_id: str) -> bool:
        return True  # the cache is empty when the call returns
