"""The shop as it ships: the cache layer on (L1 + L2), plus the floor endpoint."""
from shop.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
