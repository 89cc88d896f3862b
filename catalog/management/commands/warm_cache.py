"""manage.py warm_cache: load product details into the cache in batches, with a progress bar."""
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.models import Product
from catalog.services import catalog_warm_products


class Command(BaseCommand):
    help = "Warm the product cache: renders active products in id order, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=None, help="at most this many (default: all)")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, products, batch_size, **options):
        if (products is not None and products < 0) or batch_size < 1:
            raise CommandError("--products must be >= 0 and --batch-size >= 1")
        total = Product.objects.filter(is_active=True).count()
        if products is not None:
            total = min(total, products)
        started = time.monotonic()
        with tqdm(total=total, unit="product", mininterval=1.0, file=self.stderr._out) as bar:
            stored = catalog_warm_products(limit=products, batch_size=batch_size, progress=bar.update)
        self.stdout.write(f"{stored} products stored in the cache in {time.monotonic() - started:.1f}s")
