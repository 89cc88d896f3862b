"""manage.py warm_cache: load what shoppers read first into the cache, with progress bars.

Listings (the first pages of every category, in every order), the most requested
searches, then product details; rate-limited so it never competes with shoppers.
"""
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import Category, Product
from catalog.popularity import top_searches, warm_mark
from catalog.services import (
    catalog_warm_listings,
    catalog_warm_products,
    catalog_warm_searches,
)


class Command(BaseCommand):
    help = "Warm the cache: listings' first pages, popular searches, product details."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=None, help="at most this many products (default: all)")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--pages", type=int, default=2, help="pages of each listing and order")
        parser.add_argument("--searches", type=int, default=200, help="how many of the most requested searches")
        parser.add_argument("--rate", type=float, default=50, help="at most this many listing loads a second")
        parser.add_argument("--only", choices=["listings", "searches", "products"], default=None)

    def handle(self, *args, products, batch_size, pages, searches, rate, only, **options):
        if (products is not None and products < 0) or batch_size < 1 or pages < 0 or searches < 0:
            raise CommandError("--products, --pages and --searches must be >= 0 and --batch-size >= 1")
        started = time.monotonic()
        out = self.stderr._out
        if only in (None, "listings") and pages:
            with tqdm(total=Category.objects.filter(is_active=True).count() + 1, unit="listing",
                      mininterval=1.0, file=out) as bar:
                warmed = catalog_warm_listings(pages=pages, rate=rate, progress=bar.update)
            self.stdout.write(f"{warmed} listing pages warmed")
        if only in (None, "searches") and searches:
            with tqdm(total=len(top_searches(searches)), unit="search", mininterval=1.0, file=out) as bar:
                warmed = catalog_warm_searches(limit=searches, rate=rate, progress=bar.update)
            self.stdout.write(f"{warmed} searches warmed")
        if only in (None, "products"):
            total = Product.objects.filter(is_active=True).count()
            if products is not None:
                total = min(total, products)
            with tqdm(total=total, unit="product", mininterval=1.0, file=out) as bar:
                stored = catalog_warm_products(limit=products, batch_size=batch_size, progress=bar.update)
            self.stdout.write(f"{stored} products stored in the cache")
        if only is None:
            warm_mark.set()
        self.stdout.write(f"warmed in {time.monotonic() - started:.1f}s")
