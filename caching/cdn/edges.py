"""The caches in front of the API that the outbox purges, and the backend each is sent with.

Each edge has rows of its own in the outbox (`CdnPath.distribution` is its name) and is
drained on its own, under its own lease and limits: CloudFront, and API Gateway's stage
cache behind it. Both are purged for the same changes, in the same transactions.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string

from ..conf import settings
from .base import CdnBackend


@dataclass(frozen=True)
class Edge:
    name: str  # whose rows these are in the outbox
    backend_path: str  # the dotted path of its CdnBackend class
    target: str  # what the backend is built with: a distribution id, "rest-api-id/stage"

    def backend(self) -> CdnBackend:
        return import_string(self.backend_path)(self.target)


def configured() -> list[Edge]:
    """The edges the settings name; none: CDN invalidation is off."""
    edges = []
    if settings.CDN_DISTRIBUTION_ID:
        edges.append(Edge(settings.CDN_DISTRIBUTION_ID, settings.CDN_BACKEND, settings.CDN_DISTRIBUTION_ID))
    if settings.APIGATEWAY_REST_API_ID and settings.APIGATEWAY_STAGE_NAME:
        stage = f"{settings.APIGATEWAY_REST_API_ID}/{settings.APIGATEWAY_STAGE_NAME}"
        edges.append(Edge(f"apigateway:{stage}", settings.APIGATEWAY_BACKEND, stage))
    return edges
