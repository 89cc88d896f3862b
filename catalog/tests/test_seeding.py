"""seed_catalog: realistic data, progress, and safe to run twice."""
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Category, Product

pytestmark = pytest.mark.django_db


def test_seed_catalog_creates_products_and_categories_and_is_idempotent():
    out = StringIO()
    call_command("seed_catalog", products=1200, categories=12, batch_size=500, stdout=out, stderr=StringIO())
    assert Product.objects.count() == 1200
    assert Category.objects.count() == 12
    assert Category.objects.filter(parent__isnull=False).exists()
    assert "1200 products inserted" in out.getvalue()
    first = Product.objects.get(sku="DEMO-0000001")
    assert first.price > 0 and first.attributes["color"]

    out = StringIO()
    call_command("seed_catalog", products=1200, categories=12, stdout=out, stderr=StringIO())
    assert Product.objects.count() == 1200
    assert Category.objects.count() == 12
    assert "0 products inserted" in out.getvalue()

    call_command("seed_catalog", products=1500, categories=12, stdout=StringIO(), stderr=StringIO())
    assert Product.objects.count() == 1500
    assert Product.objects.filter(sku="DEMO-0001500").exists()


def test_seed_catalog_if_empty_skips_a_catalog_with_products(product):
    out = StringIO()
    call_command("seed_catalog", products=100, categories=5, if_empty=True, stdout=out, stderr=StringIO())
    assert Product.objects.count() == 1
    assert "nothing to seed" in out.getvalue()


def test_seed_catalog_shows_progress():
    err = StringIO()
    call_command("seed_catalog", products=50, categories=3, stdout=StringIO(), stderr=err)
    assert "50/50" in err.getvalue()


def test_seed_catalog_rejects_bad_arguments():
    with pytest.raises(CommandError):
        call_command("seed_catalog", products=-1, categories=3)
