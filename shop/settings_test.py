"""Test settings: the project's settings plus the cache layer's test models."""
from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "caching.tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SEARCH_CATCH_UP = "sync"  # a change is searchable when the request that made it returns
