"""The cache layer's own table: invalidations that could not reach Redis yet."""
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
