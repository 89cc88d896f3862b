"""The cache layer off (CACHING ENABLED=False): every read goes to the database."""
from bench.variants.layer_on import *  # noqa: F403

CACHING = {"ENABLED": False}
