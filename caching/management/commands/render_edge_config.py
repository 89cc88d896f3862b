"""Render the edge settings (CloudFront cache behaviours, API Gateway method settings) into deploy/edge/."""
from django.core.management.base import BaseCommand, CommandError

from caching.edge_templates import edge_dir, render


class Command(BaseCommand):
    help = "Render deploy/edge/ from the apps' cache.py; --check fails when the committed files differ."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 when a file differs.")

    def handle(self, *args, check: bool = False, **options):
        directory = edge_dir()
        stale = []
        for name, text in render().items():
            path = directory / name
            if path.exists() and path.read_text() == text:
                continue
            stale.append(name)
            if not check:
                directory.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                self.stdout.write(f"wrote {path}")
        if check and stale:
            raise CommandError(f"deploy/edge/ differs from the cache rules ({', '.join(stale)}): "
                               f"run manage.py render_edge_config")
        if not stale:
            self.stdout.write("deploy/edge/ is up to date")
