"""The cache layer's own table: invalidations that could not reach Redis yet."""
from django.db import models


class PendingInvalidation(models.Model):
    """An invalidation Redis could not take (it was down): replayed before L2 is read again."""

    keys = models.JSONField(default=list)
    generation_keys = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{len(self.keys)} keys, {len(self.generation_keys)} generations"
