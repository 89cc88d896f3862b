from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"

    def ready(self) -> None:
        from . import cache  # noqa: F401  (registers the profile data type)
