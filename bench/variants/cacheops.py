"""django-cacheops on the same models and data, as its documentation recommends: its own Redis
database, every catalog queryset cached ("ops": "all"), degrading to the database on failure.
Our layer is off."""
from bench.variants.layer_off import *  # noqa: F403
from bench.variants.layer_off import INSTALLED_APPS, REDIS_URL

INSTALLED_APPS = ["cacheops", *INSTALLED_APPS]
CACHEOPS_REDIS = REDIS_URL.rsplit("/", 1)[0] + "/5"
CACHEOPS = {"catalog.*": {"ops": "all", "timeout": 300}}
CACHEOPS_DEGRADE_ON_FAILURE = True
