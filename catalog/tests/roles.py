"""Entry points for the catalog's multi-process tests: `python -m catalog.tests.roles ROLE ...`."""
from __future__ import annotations

import json
import os
import sys


def raise_prices(*product_ids: str) -> None:
    """Raise each product's price by 1, one commit each (as separate admin saves would)."""
    from catalog.models import Product

    committed = 0
    for product in Product.objects.filter(pk__in=[int(i) for i in product_ids]):
        product.price += 1
        product.save()
        committed += 1
    print(json.dumps({"committed": committed}), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings_test")
    import django

    django.setup()
    role, *args = sys.argv[1:]
    {"raise_prices": raise_prices}[role](*args)
