from django.apps import AppConfig


class RuntimeConfigConfig(AppConfig):
    name = "runtime_config"
    verbose_name = "Runtime configuration"

    def ready(self) -> None:
        from . import cache  # noqa: F401  (registers the data type)
