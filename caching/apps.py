from django.apps import AppConfig


class CachingConfig(AppConfig):
    name = "caching"
    verbose_name = "Cache layer"

    def ready(self) -> None:
        # Connect the signal receivers of every data type, registered now or later.
        from . import invalidation
        from .datatypes import registry

        for data_type in registry.all():
            invalidation.connect(data_type)
