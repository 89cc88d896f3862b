from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"

    def ready(self) -> None:
        from . import cache  # noqa: F401  (registers the cart data type)
