"""Catalog models: a two-level category tree and products."""
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


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

    def save(self, *args, **kwargs):
        moved = self.pk is not None and Category.objects.filter(pk=self.pk).exclude(
            parent_id=self.parent_id).exists()
        super().save(*args, **kwargs)
        if moved:
            # Products carry their department (a denormalised column the listing indexes
            # need): a category moved under another department takes its products along
            # (and their updated_at moves, so the search index follows).
            Product.objects.filter(category__in=[self.pk, *self.children.values_list("pk", flat=True)]).update(
                department_id=self.department_id, updated_at=timezone.now())

    @property
    def department_id(self) -> int:
        """The top-level category this one belongs to (itself when it is top-level)."""
        return self.parent_id or self.pk


class Product(models.Model):
    sku = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    stock = models.PositiveIntegerField(default=0)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    # The category's top-level ancestor, kept by save(): a department's listing is one
    # index range instead of an IN list of its subcategories joined to their rows.
    department = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", db_index=False,
                                   editable=False)
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # A listing filters on is_active and one scope (the whole catalog, a department or
        # a category) and sorts by price, name, recency or id, ties broken by id: one
        # index per scope and order, ending with id, so the first pages of every listing
        # are read from an index in order, without a sort.
        indexes = [
            *[models.Index(fields=[*scope, "is_active", *order, "id"], name=f"product_{name}")
              for scope, scope_name in (((), "all"), (("department",), "dep"), (("category",), "cat"))
              for order, order_name in ((("price",), "price"), (("name",), "name"), (("created_at",), "created"),
                                        ((), "id"))
              for name in [f"{scope_name}_{order_name}"]
              if scope or order],
            models.Index(fields=["slug"], name="product_slug"),
            models.Index(fields=["updated_at"], name="product_updated"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "category" in update_fields or "category_id" in update_fields:
            self.department_id = Category.objects.filter(pk=self.category_id).values_list(
                "parent_id", flat=True).first() or self.category_id
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "department"}
        super().save(*args, **kwargs)


class SearchRemoval(models.Model):
    """A product deleted from the catalog, for the search index to forget (catalog.search_index).
    A log each index reads from its own cursor, pruned after a day."""

    product_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"product {self.product_id} removed"
