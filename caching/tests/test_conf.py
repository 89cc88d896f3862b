"""The cache layer's settings: defaults, and typos refused at start-up."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from caching.conf import settings as caching_settings


def test_defaults_apply_and_the_redis_url_follows_django_settings(settings):
    settings.CACHING = {}
    settings.REDIS_URL = "redis://:pw@example.invalid:6379/0"
    assert caching_settings.DEFAULT_TTL == 300
    assert caching_settings.REDIS_URL == "redis://:pw@example.invalid:6379/0"


def test_an_unknown_caching_key_is_refused(settings):
    settings.CACHING = {"DEFAULT_TLL": 30}
    with pytest.raises(ImproperlyConfigured, match="DEFAULT_TLL"):
        caching_settings.DEFAULT_TTL  # noqa: B018


def test_an_unknown_data_type_override_is_refused(settings):
    settings.CACHING = {"DATA_TYPES": {"product": {"tll": 30}}}
    with pytest.raises(ImproperlyConfigured, match="tll"):
        caching_settings.DATA_TYPES  # noqa: B018
