"""What the CDN drain needs of a CDN, whichever it is: one small class per CDN behind it."""
from __future__ import annotations


class CdnUnavailable(Exception):
    """The CDN did not take the request now (throttled, a server error, unreachable): try
    again later, with backoff."""


class CdnBusy(CdnUnavailable):
    """The CDN has as much in progress as it accepts (CloudFront: TooManyInvalidationsInProgress)."""


class CdnBackend:
    """Sends invalidation requests for one distribution and reports their progress."""

    # What the CDN accepts in progress at once, per distribution.
    max_paths_in_progress = 3000
    max_wildcards_in_progress = 15

    def __init__(self, distribution_id: str):
        self.distribution_id = distribution_id

    def create_invalidation(self, paths: list[str], caller_reference: str) -> str:
        """Ask the CDN to invalidate `paths`; returns its id of the request. The same
        `caller_reference` again must be the same request, not a second one."""
        raise NotImplementedError("subclasses of CdnBackend must provide a create_invalidation() method")

    def is_completed(self, invalidation_id: str) -> bool:
        """Whether the CDN has finished the request (it no longer counts against the limits)."""
        raise NotImplementedError("subclasses of CdnBackend must provide an is_completed() method")
