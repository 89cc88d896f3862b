"""The cache layer on, with L1 switched off for the catalog: every hit is an L2 hit."""
from bench.variants.layer_on import *  # noqa: F403

CACHING = {"DATA_TYPES": {name: {"levels": ("l2",)} for name in ("product", "listing", "categories")}}
