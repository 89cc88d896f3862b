"""The cache layer's own tables: invalidations that could not reach Redis yet, and the CDN outbox."""
from django.db import models


class PendingInvalidation(models.Model):
    """An invalidation Redis could not take: applied by the next drain (any process, beat)."""

    # Which Redis it is for: "layer" (the cache layer's L2), or a Django cache backend's id.
    target = models.CharField(max_length=64, default="layer")
    keys = models.JSONField(default=list)
    generation_keys = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target", "id"], name="pending_invalidation_target")]

    def __str__(self) -> str:
        return f"{self.target}: {len(self.keys)} keys, {len(self.generation_keys)} generations"


class CdnPath(models.Model):
    """A public path a committed change made stale at the CDN, written in the change's own
    transaction (so a rollback drops it and a commit can never lose it). Sent by the CDN
    drain in a batch; `invalidation` says which one once it is claimed."""

    distribution = models.CharField(max_length=128)
    path = models.CharField(max_length=1024)
    created_at = models.DateTimeField(auto_now_add=True)
    invalidation = models.ForeignKey("CdnInvalidation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="paths")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["distribution", "invalidation", "id"], name="cdn_path_pending")]

    def __str__(self) -> str:
        return self.path


class CdnInvalidation(models.Model):
    """One batch of paths sent to the CDN (one CreateInvalidation), from forming to completion.

    The batch is written before it is sent: its CallerReference is fixed then, so sending
    it again after a crash or a lost reply is the same request to the CDN, never a second one.
    """

    PENDING = "pending"  # formed, not accepted by the CDN yet
    IN_PROGRESS = "in_progress"  # accepted, the CDN is working on it
    COMPLETED = "completed"
    STATUSES = [(PENDING, "pending"), (IN_PROGRESS, "in progress"), (COMPLETED, "completed")]

    distribution = models.CharField(max_length=128)
    caller_reference = models.CharField(max_length=128, unique=True)
    items = models.JSONField(default=list)  # the paths as sent: deduplicated and folded
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    invalidation_id = models.CharField(max_length=128, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=512, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["distribution", "status"], name="cdn_invalidation_status")]

    def __str__(self) -> str:
        return f"{self.caller_reference}: {len(self.items)} paths, {self.status}"

    @property
    def wildcards(self) -> int:
        return sum(1 for path in self.items if path.endswith("*"))


class Lease(models.Model):
    """A named lease held by one process until `expires_at` (see caching.leases)."""

    name = models.CharField(max_length=128, primary_key=True)
    holder = models.CharField(max_length=128, blank=True, default="")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at}"
