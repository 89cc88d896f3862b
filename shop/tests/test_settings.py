"""Configuration comes from the environment."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_subprocess(expression: str, **env) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
    )
    return completed.stdout.strip()


def test_caching_enabled_comes_from_the_environment():
    assert _settings_in_subprocess("settings.CACHING['ENABLED']") == "True"
    assert _settings_in_subprocess("settings.CACHING['ENABLED']", CACHING_ENABLED="False") == "False"


def test_database_defaults_to_sqlite_when_no_url_is_given():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.db import connection; "
                               "print(connection.vendor)"],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**env, "DJANGO_SETTINGS_MODULE": "shop.settings"},
    )
    assert completed.stdout.strip() == "sqlite"


def test_a_tls_store_url_gives_celery_its_certificate_policy():
    url = "rediss://:pw@store.example.com:6380/0"
    policy = _settings_in_subprocess("settings.CELERY_BROKER_USE_SSL['ssl_cert_reqs'].name",
                                     REDIS_URL=url, CELERY_BROKER_URL=url.replace("/0", "/1"), SHOP_ENV_FILE="")
    assert policy == "CERT_REQUIRED"


def test_an_unknown_replica_kind_is_refused_at_start_up():
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", "DATABASE_REPLICA_KIND": "postgres"})
    assert completed.returncode != 0 and "DATABASE_REPLICA_KIND must be mysql or aurora" in completed.stderr
