"""manage.py sync_config [--prefix P]: read every config object in the bucket into Redis, with a progress bar."""
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from runtime_config.services import config_sync


class Command(BaseCommand):
    help = "Full resync of the runtime configs: every object under the prefix, read from S3 into Redis."

    def add_arguments(self, parser):
        parser.add_argument("--prefix", default="", help="only keys under this prefix (after CONFIG_PREFIX)")

    def handle(self, *args, prefix, **options):
        if not settings.CONFIG_BUCKET_NAME:
            raise CommandError("CONFIG_BUCKET_NAME is not set")
        sync = config_sync()
        keys = sync.keys(prefix)
        tally: Counter[str] = Counter()
        with tqdm(total=len(keys), unit="object", file=self.stderr._out) as bar:
            for key in keys:
                outcome = sync.sync_object(key)
                tally[outcome.outcome] += 1
                bar.update(1)
        self.stdout.write(", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items()))
                          or "no objects")
