"""manage.py rebuild_search_index: index every product afresh, with a progress bar."""
import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

import caching
from catalog.models import Product
from catalog.search import SEARCH_NAMESPACE
from catalog.search_index import search_index


class Command(BaseCommand):
    help = "Build the search index from the catalog (after a restore, or to start one)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the index has documents")

    def handle(self, *args, if_empty, **options):
        index = search_index()
        if if_empty and index.document_count():
            self.stdout.write(f"search index has {index.document_count()} documents: left as it is")
            return
        started = time.monotonic()
        with tqdm(total=Product.objects.count(), unit="product", mininterval=1.0, file=self.stderr._out) as bar:
            count = index.rebuild(progress=bar.update)
        caching.bump(SEARCH_NAMESPACE)
        self.stdout.write(f"{count} products indexed in {time.monotonic() - started:.1f}s")
