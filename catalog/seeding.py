"""Demo catalog generation: realistic categories and products, inserted in bulk.

Deterministic SKUs (DEMO-0000001, ...) make seeding safe to run twice: a second
run only adds the products that are missing.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .models import Category, Product

SKU_PREFIX = "DEMO-"

DEPARTMENTS = [
    "Electronics", "Home", "Kitchen", "Garden", "Sports", "Outdoors", "Toys", "Books", "Music", "Fashion",
    "Shoes", "Beauty", "Health", "Office", "Automotive", "Pets", "Baby", "Tools", "Grocery", "Games",
]
SUBCATEGORIES = [
    "Essentials", "Accessories", "Premium", "Classics", "Basics", "Pro", "Compact", "Deluxe", "Travel", "Eco",
]
ADJECTIVES = [
    "Ergonomic", "Rustic", "Sleek", "Durable", "Lightweight", "Wireless", "Vintage", "Smart", "Portable",
    "Handcrafted", "Modern", "Classic", "Compact", "Heavy-duty", "Organic", "Foldable", "Waterproof", "Silent",
]
MATERIALS = ["Steel", "Cotton", "Wooden", "Leather", "Bamboo", "Ceramic", "Glass", "Granite", "Wool", "Carbon"]
NOUNS = [
    "Chair", "Lamp", "Kettle", "Backpack", "Headphones", "Blender", "Jacket", "Sneakers", "Notebook", "Speaker",
    "Watch", "Mug", "Tent", "Drill", "Keyboard", "Bottle", "Pillow", "Camera", "Bicycle", "Knife", "Scarf",
    "Monitor", "Charger", "Helmet", "Guitar", "Puzzle", "Blanket", "Router", "Skillet", "Umbrella",
]
COLORS = ["black", "white", "red", "blue", "green", "grey", "navy", "olive", "sand", "teal"]
SIZES = ["XS", "S", "M", "L", "XL", "one size"]
FILLER = (
    "designed for everyday use with a focus on comfort quality and long lasting performance "
    "built from carefully selected materials tested for reliability easy to clean and maintain "
    "ships in recyclable packaging backed by a two year warranty"
).split()

PRODUCT_COLUMNS = (
    "sku", "name", "slug", "description", "price", "stock", "category_id", "department_id",
    "attributes", "is_active", "created_at", "updated_at",
)


def seed_categories(*, count: int) -> list[int]:
    """Create up to `count` categories (top-level departments, then subcategories); return leaf-or-all ids."""
    top_count = min(len(DEPARTMENTS), max(1, count // 5))
    tops = []
    for name in DEPARTMENTS[:top_count]:
        category, _ = Category.objects.get_or_create(slug=name.lower(), defaults={"name": name})
        tops.append(category)
    remaining = count - top_count
    for i in range(remaining):
        parent = tops[i % top_count]
        sub = SUBCATEGORIES[(i // top_count) % len(SUBCATEGORIES)]
        suffix = i // (top_count * len(SUBCATEGORIES))
        slug = f"{parent.slug}-{sub.lower()}" + (f"-{suffix}" if suffix else "")
        Category.objects.get_or_create(slug=slug, defaults={"name": f"{parent.name} {sub}", "parent": parent})
    return list(Category.objects.filter(is_active=True).values_list("id", flat=True))


def existing_demo_count() -> int:
    return Product.objects.filter(sku__startswith=SKU_PREFIX).count()


def _product_rows(start: int, stop: int, category_ids: list[int], departments: dict[int, int],
                  now) -> Iterator[tuple]:
    rng = random.Random(start)  # deterministic per batch: reruns produce the same data
    for n in range(start, stop):
        adjective, material, noun = rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(NOUNS)
        name = f"{adjective} {material} {noun}"
        description = f"{name} {' '.join(rng.choices(FILLER, k=18))}."
        attributes = json.dumps({"color": rng.choice(COLORS), "size": rng.choice(SIZES), "material": material.lower()})
        price = Decimal(rng.randint(199, 99_999)) / 100
        yield (
            f"{SKU_PREFIX}{n:07d}",
            name,
            f"{adjective}-{material}-{noun}-{n}".lower(),
            description,
            price,
            rng.randint(0, 500),
            category_ids[n % len(category_ids)],
            departments[category_ids[n % len(category_ids)]],
            attributes,
            True,
            now,
            now,
        )


def seed_products(
    *,
    count: int,
    category_ids: list[int],
    batch_size: int = 5000,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Insert demo products until `count` exist; returns how many were inserted.

    Rows go through the DB-API's executemany, which mysqlclient turns into
    multi-row INSERTs: the ORM's per-object work would dominate at a million rows.
    """
    start = existing_demo_count()
    if start >= count:
        return 0
    table = Product._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in PRODUCT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(PRODUCT_COLUMNS))
    sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({placeholders})"
    now_value = connection.ops.adapt_datetimefield_value(timezone.now())
    departments = {pk: parent_id or pk for pk, parent_id in Category.objects.values_list("pk", "parent_id")}
    inserted = 0
    for batch_start in range(start + 1, count + 1, batch_size):
        batch_stop = min(batch_start + batch_size, count + 1)
        rows = list(_product_rows(batch_start, batch_stop, category_ids, departments, now_value))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        inserted += len(rows)
        progress(len(rows))
    return inserted


def refresh_statistics() -> None:
    """Have MySQL/MariaDB re-read the catalog tables' statistics after a bulk load. Until then
    it plans with the empty tables' figures: the warming batch (ids IN, joined to categories)
    becomes a scan through an on-disk temporary table, slow and, on a small /tmp, an error."""
    if connection.vendor != "mysql" or connection.in_atomic_block:
        return  # ANALYZE TABLE commits implicitly: never inside a caller's transaction
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE TABLE {Product._meta.db_table}, {Category._meta.db_table}")
        cursor.fetchall()
