"""Amazon CloudFront through boto3 (caching.cdn.aws)."""
from __future__ import annotations

from .aws import call_aws, client
from .base import CdnBackend


class CloudFront(CdnBackend):
    def __init__(self, distribution_id: str):
        super().__init__(distribution_id)
        self.client = client("cloudfront")

    def create_invalidation(self, paths: list[str], caller_reference: str) -> str:
        reply = call_aws(self.client.create_invalidation, DistributionId=self.distribution_id, InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": caller_reference})
        return reply["Invalidation"]["Id"]

    def is_completed(self, invalidation_id: str) -> bool:
        reply = call_aws(self.client.get_invalidation, DistributionId=self.distribution_id, Id=invalidation_id)
        # AWS says "Completed"; moto's server says "COMPLETED".
        return reply["Invalidation"]["Status"].lower() == "completed"
