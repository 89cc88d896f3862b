from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from . import cache, signals  # noqa: F401  (registers the catalog's data types)

        signals.connect()
