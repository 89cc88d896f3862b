"""scripts/redis.sh, scripts/mariadb.sh and `make services-stop`, run for real.

Every test has a data folder of its own (DATA_DIR) and free ports, so the servers of
`make run` and `make test` under .data/ are never touched; what a test starts is
stopped even when it fails.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import MySQLdb
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shop.tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# What the test run exports for the app; a script under test must choose its own.
APP_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SHOP_ENV_FILE",
                 "DJANGO_SETTINGS_MODULE", "REDIS_PORT", "MARIADB_PORT", "PORT", "REDIS_STORE_URL",
                 "CLOUDFRONT_DISTRIBUTION_ID", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def script_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in APP_VARIABLES}
    return {**env, "DATA_DIR": str(data_dir), "MARIADB_BUFFER_POOL": "32M", **extra}


def run(command: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    assert env["DATA_DIR"], "a script run by a test must have a DATA_DIR of its own"
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([str(SCRIPTS / name), *args], env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def kill_leftovers(data_dir: Path) -> None:
    """Kill a server the scripts failed to stop (its pid file names it)."""
    for pidfile in [*data_dir.glob("redis-*/redis.pid"), *data_dir.glob("mariadb-*/mariadbd.pid")]:
        try:
            pid = int(pidfile.read_text())
            if Path(f"/proc/{pid}/comm").read_text().strip() in {"redis-server", "mariadbd"}:
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


@pytest.fixture
def data_dir():
    """DATA_DIR inside a fresh 0700 folder (what `mktemp -d` gives), removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="shop-scripts-"))
    data = parent / "data"
    yield data
    script("services.sh", "purge", env=script_env(data))
    kill_leftovers(data)
    shutil.rmtree(parent, ignore_errors=True)


def redis_client(port: int, password: str | None = None) -> redis.Redis:
    return redis.Redis(port=port, password=password, socket_timeout=2, retry=Retry(NoBackoff(), 0))


def test_redis_start_requires_the_password_it_keeps_in_a_0600_file(data_dir):
    port = free_port()
    env = script_env(data_dir)
    # Under a strict umask too: .data/ itself must stay 0755 (MariaDB runs as mysql).
    started = run(["bash", "-c", 'umask 077 && exec "$0" start "$1"', str(SCRIPTS / "redis.sh"), str(port)], env)
    assert started.returncode == 0, started.stderr
    assert mode(data_dir) == 0o755

    password_file = data_dir / f"redis-{port}" / "password"
    assert mode(password_file) == 0o600
    assert mode(data_dir / f"redis-{port}" / "redis.conf") == 0o600
    password = password_file.read_text().strip()
    assert len(password) >= 32
    with pytest.raises(redis.AuthenticationError):
        redis_client(port).ping()
    with pytest.raises(redis.AuthenticationError):
        redis_client(port, "not-the-password").ping()
    assert redis_client(port, password).ping()

    # Not on the command line, where `ps` shows it.
    pid = int((data_dir / f"redis-{port}" / "redis.pid").read_text())
    assert password not in Path(f"/proc/{pid}/cmdline").read_text()

    url = script("redis.sh", "url", str(port), "2", env=env).stdout.strip()
    assert url == f"redis://:{password}@127.0.0.1:{port}/2"
    client = redis.Redis.from_url(url, socket_timeout=2)
    client.set("k", "v")
    assert client.get("k") == b"v"
    assert redis_client(port, password).get("k") is None  # db 0, not the URL's db 2

    assert script("redis.sh", "status", str(port), env=env).returncode == 0
    assert script("redis.sh", "start", str(port), env=env).returncode == 0  # idempotent
    assert script("redis.sh", "stop", str(port), env=env).returncode == 0
    assert script("redis.sh", "status", str(port), env=env).returncode == 1
    # A restart keeps the password, so URLs written before stay valid.
    assert script("redis.sh", "start", str(port), env=env).returncode == 0
    assert password_file.read_text().strip() == password
    assert redis_client(port, password).ping()


def test_redis_maxmemory_policy_comes_from_the_environment(data_dir):
    port = free_port()
    env = script_env(data_dir, REDIS_MAXMEMORY_POLICY="noeviction")
    assert script("redis.sh", "start", str(port), env=env).returncode == 0
    password = (data_dir / f"redis-{port}" / "password").read_text().strip()
    assert redis_client(port, password).config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}


@pytest.mark.skipif(os.geteuid() != 0, reason="mariadbd runs as user mysql only when started by root")
def test_mariadb_start_status_stop_with_data_dir_in_a_0700_folder(data_dir):
    assert mode(data_dir.parent) == 0o700
    port = free_port()
    env = script_env(data_dir)
    started = script("mariadb.sh", "start", str(port), env=env)
    assert started.returncode == 0, started.stderr

    link = data_dir / f"mariadb-{port}"
    assert link.is_symlink()
    target = link.resolve()
    assert target.owner() == "mysql"
    assert script("mariadb.sh", "status", str(port), env=env).returncode == 0
    connection = MySQLdb.connect(host="127.0.0.1", port=port, user="shop", password="shop", database="shop")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    connection.close()

    again = script("mariadb.sh", "start", str(port), env=env)  # idempotent
    assert again.returncode == 0, again.stderr
    assert link.resolve() == target
    assert script("mariadb.sh", "stop", str(port), env=env).returncode == 0
    assert script("mariadb.sh", "status", str(port), env=env).returncode == 1
    # Started again from the files it kept (the datadir is not initialised twice).
    assert script("mariadb.sh", "start", str(port), env=env).returncode == 0
    assert script("mariadb.sh", "status", str(port), env=env).returncode == 0

    assert script("services.sh", "purge", env=env).returncode == 0  # what `make clean` runs
    assert not target.exists() and not link.exists()
    assert script("mariadb.sh", "status", str(port), env=env).returncode == 1


def test_make_services_stop_stops_servers_on_every_port(data_dir):
    env = script_env(data_dir)
    redis_ports = [free_port(), free_port()]
    for port in redis_ports:
        assert script("redis.sh", "start", str(port), env=env).returncode == 0
    mariadb_port = free_port()
    started = script("mariadb.sh", "start", str(mariadb_port), env=env)
    assert started.returncode == 0, started.stderr

    stopped = run(["make", "-s", "services-stop"], env)
    assert stopped.returncode == 0, stopped.stderr

    for port in redis_ports:
        with pytest.raises(redis.ConnectionError) as refused:
            redis_client(port).ping()
        assert not isinstance(refused.value, redis.AuthenticationError)
    assert script("mariadb.sh", "status", str(mariadb_port), env=env).returncode == 1
