"""manage.py seed_catalog: load a demo catalog, in batches, with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog import seeding
from catalog.models import Product


class Command(BaseCommand):
    help = "Create demo categories and products. Safe to run twice: only missing products are added."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=10_000, help="total demo products wanted")
        parser.add_argument("--categories", type=int, default=50, help="total categories wanted")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any product exists")

    def handle(self, *args, products: int, categories: int, batch_size: int, if_empty: bool, **options):
        if products < 0 or categories < 1 or batch_size < 1:
            raise CommandError("--products must be >= 0, --categories and --batch-size >= 1")
        if if_empty and Product.objects.exists():
            self.stdout.write("catalog not empty: nothing to seed")
            return
        started = time.monotonic()
        category_ids = seeding.seed_categories(count=categories)
        existing = seeding.existing_demo_count()
        with tqdm(
            total=products, initial=min(existing, products), unit="product", mininterval=1.0, file=self.stderr._out
        ) as bar:
            inserted = seeding.seed_products(
                count=products, category_ids=category_ids, batch_size=batch_size, progress=bar.update
            )
        if inserted:
            seeding.refresh_statistics()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{inserted} products inserted ({existing} existed), {len(category_ids)} categories, {elapsed:.1f}s"
        )
