"""Catalog models: a two-level category tree and products."""
from django.core.validators import MinValueValidator
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        indexes = [models.Index(fields=["is_active", "name"], name="category_active_name")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    stock = models.PositiveIntegerField(default=0)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # Listings always filter on is_active, often on category, and sort by
        # price, name or recency: one composite index per access path.
        indexes = [
            models.Index(fields=["category", "is_active", "price"], name="product_cat_active_price"),
            models.Index(fields=["category", "is_active", "name"], name="product_cat_active_name"),
            models.Index(fields=["is_active", "price"], name="product_active_price"),
            models.Index(fields=["is_active", "name"], name="product_active_name"),
            models.Index(fields=["is_active", "created_at"], name="product_active_created"),
            models.Index(fields=["slug"], name="product_slug"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
