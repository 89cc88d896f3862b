"""The cache layer on with L1 off for every cached data type: each read is an L2 read, so
bench/capacity.py counts the Redis commands a request costs when it misses L1."""
from bench.variants.layer_on import *  # noqa: F403

L1_TYPES = ("product", "product_card", "listing_page", "listing_count", "search", "listing_scope",
            "inactive_categories", "category_slug", "categories")
CACHING = {"DATA_TYPES": {name: {"levels": ("l2",)} for name in L1_TYPES}}
