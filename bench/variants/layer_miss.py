"""The cache layer on, but product entries expire at once: every product read takes the miss path
(GET, lease, load, fenced store)."""
from bench.variants.layer_on import *  # noqa: F403

CACHING = {"DATA_TYPES": {"product": {"ttl": 0.001, "stale_ttl": 0, "jitter": 0, "levels": ("l2",)}}}
