from django.apps import AppConfig


class CachingTestAppConfig(AppConfig):
    name = "caching.tests.testapp"
    label = "caching_testapp"
