"""Carts: owned by a session (anonymous) or a user; every write bumps `version`."""
from django.conf import settings
from django.db import models
from django.db.models import Q


class Cart(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="cart"
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    # Incremented by every write; the cache keeps the snapshot of the newest version.
    version = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(session_key__isnull=True))
                | (Q(user__isnull=True) & Q(session_key__isnull=False)),
                name="cart_has_exactly_one_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = f"user {self.user_id}" if self.user_id else "anonymous"
        return f"Cart {self.pk} ({owner}, v{self.version})"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, help_text="price when the item was added")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_item_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"
