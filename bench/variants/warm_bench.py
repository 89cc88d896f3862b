"""The shop as it ships, for bench/warm_after_flush.py: the server's own counts are never
sent (every variant warms from the same recorded history)."""
from bench.variants.layer_on import *  # noqa: F403

POPULARITY_FLUSH_SECONDS = 1e9
