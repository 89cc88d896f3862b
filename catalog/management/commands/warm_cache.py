"""manage.py warm_cache: load what shoppers read first into the cache, with progress bars.

The busiest listings' first pages (every category's, in every order, while none has
been counted), the most requested searches, then product details, most requested
first (else most ordered); rate-limited so it never competes with shoppers.
"""
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import Category, Product
from catalog.popularity import top_listings, top_searches, warm_mark
from catalog.selectors import PRODUCT_ORDERINGS, product_ids_to_warm
from catalog.services import (
    WARM_LISTINGS,
    WARM_PAGES,
    WARM_PRODUCTS,
    WARM_SEARCHES,
    catalog_warm_listings,
    catalog_warm_products,
    catalog_warm_searches,
)


class Command(BaseCommand):
    help = "Warm the cache by popularity: the busiest listings, the popular searches, the most requested products."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=WARM_PRODUCTS, help="at most this many products")
        parser.add_argument("--by", choices=["popularity", "id"], default="popularity",
                            help="which products: most requested (else most ordered), or in id order")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--listings", type=int, default=WARM_LISTINGS, help="how many of the busiest listings")
        parser.add_argument("--pages", type=int, default=WARM_PAGES, help="first pages of each listing")
        parser.add_argument("--searches", type=int, default=WARM_SEARCHES, help="how many of the top searches")
        parser.add_argument("--rate", type=float, default=50, help="at most this many listing or search loads a second")
        parser.add_argument("--product-rate", type=float, default=5_000, help="at most this many products a second")
        parser.add_argument("--only-missing", action="store_true", help="skip products the cache holds")
        parser.add_argument("--only", choices=["listings", "searches", "products"], default=None)

    def handle(self, *args, products, by, batch_size, listings, pages, searches, rate, product_rate, only_missing,
               only, **options):
        if min(products, listings, pages, searches) < 0 or batch_size < 1:
            raise CommandError("--products, --listings, --pages and --searches must be >= 0 and --batch-size >= 1")
        started = time.monotonic()
        out = self.stderr._out
        if only in (None, "listings") and pages and listings:
            total = len(top_listings(listings)) or (Category.objects.filter(is_active=True).count() + 1) * (
                1 + len(PRODUCT_ORDERINGS))
            with tqdm(total=total, unit="listing", mininterval=1.0, file=out) as bar:
                warmed = catalog_warm_listings(limit=listings, pages=pages, rate=rate, progress=bar.update)
            self.stdout.write(f"{warmed} listing pages warmed")
        if only in (None, "searches") and searches:
            with tqdm(total=len(top_searches(searches)), unit="search", mininterval=1.0, file=out) as bar:
                warmed = catalog_warm_searches(limit=searches, rate=rate, progress=bar.update)
            self.stdout.write(f"{warmed} searches warmed")
        if only in (None, "products") and products:
            ids = list(product_ids_to_warm(limit=products)) if by == "popularity" else None
            total = len(ids) if ids is not None else min(products, Product.objects.filter(is_active=True).count())
            with tqdm(total=total, unit="product", mininterval=1.0, file=out) as bar:
                stored = catalog_warm_products(limit=products, by=by, batch_size=batch_size, rate=product_rate,
                                               only_missing=only_missing, progress=bar.update)
            self.stdout.write(f"{stored} products stored in the cache")
        if only is None:
            warm_mark.set()
        self.stdout.write(f"warmed in {time.monotonic() - started:.1f}s")
