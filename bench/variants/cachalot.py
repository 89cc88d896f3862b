"""django-cachalot on the same models and data, as its documentation recommends: the app
installed, every ORM query cached in the default (django-redis) cache. Our layer is off."""
from bench.variants.layer_off import *  # noqa: F403
from bench.variants.layer_off import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "cachalot"]
CACHALOT_ENABLED = True
CACHALOT_TIMEOUT = 300
