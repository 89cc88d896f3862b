"""`make run` writes its choices to .data/run.env; every Django process reads them
(shop/local_env.py, loaded first by the settings), the environment winning, and
SHOP_ENV_FILE="" (what the test scripts export) turning the file off."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shop.tests.test_scripts_services import APP_VARIABLES, ROOT

FROM_FILE = "redis://:x@127.0.0.1:1/0"
PRINT_REDIS_URL = "import django; django.setup(); from django.conf import settings; print(settings.REDIS_URL)"


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "run.env"
    path.write_text(f"# written by make run\nREDIS_URL={FROM_FILE}\n")
    path.chmod(0o600)
    return path


def redis_url_seen(**variables: str) -> str:
    env = {name: value for name, value in os.environ.items() if name not in APP_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="shop.settings", SECRET_KEY="test-only-env-file-secret", **variables)
    result = subprocess.run([sys.executable, "-c", PRINT_REDIS_URL], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_settings_read_the_env_file(env_file):
    assert redis_url_seen(SHOP_ENV_FILE=str(env_file)) == FROM_FILE


def test_an_environment_variable_overrides_the_env_file(env_file):
    assert redis_url_seen(SHOP_ENV_FILE=str(env_file), REDIS_URL="redis://127.0.0.1:2/0") == "redis://127.0.0.1:2/0"


def test_an_empty_shop_env_file_ignores_the_file(tmp_path):
    # Unset, SHOP_ENV_FILE means the checkout's .data/run.env; empty, no file at all:
    # the settings' own default, as with a file that does not exist.
    without_file = redis_url_seen(SHOP_ENV_FILE="")
    assert without_file == redis_url_seen(SHOP_ENV_FILE=str(tmp_path / "absent.env"))
    assert without_file != FROM_FILE


def test_manage_py_reads_the_env_file(env_file):
    env = {name: value for name, value in os.environ.items() if name not in APP_VARIABLES}
    env.update(SHOP_ENV_FILE=str(env_file), SECRET_KEY="test-only-env-file-secret")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c",
         "from django.conf import settings; print(settings.REDIS_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == FROM_FILE
