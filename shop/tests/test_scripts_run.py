"""`make run` (scripts/run.sh), run for real on free ports with a data folder of its own:
it serves, keeps its secrets 0600, and a Ctrl-C or a SIGTERM stops everything it started."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
import redis

from shop.tests.servers import free_port
from shop.tests.test_scripts_services import (  # noqa: F401  (data_dir is a fixture)
    SCRIPTS,
    data_dir,
    mode,
    redis_client,
    script_env,
)

STARTUP_SECONDS = 25
EXIT_SECONDS = 15


def descendants(pid: int) -> set[int]:
    """Every process below pid (honcho starts its processes in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, a zombie not counting (nobody here may reap it soon)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.loads(response.read())


@contextmanager
def running(data_dir, **extra: str):  # noqa: F811
    """scripts/run.sh in a session of its own (as a terminal would run it), and its ports."""
    port, redis_port, store_port = free_port(), free_port(), free_port()
    env = script_env(
        data_dir, PORT=str(port), REDIS_PORT=str(redis_port), REDIS_STORE_PORT=str(store_port),
        DEMO_PRODUCTS="20", DEMO_CATEGORIES="2",
        WEB_CONCURRENCY="1", CELERY_CONCURRENCY="1", SECRET_KEY="test-only-run-secret",
        # The settings keep SQLite under the checkout's .data/; this run's goes in its own folder.
        DATABASE_URL=f"sqlite:///{data_dir}/db.sqlite3", **extra,
    )
    log = (data_dir.parent / "run.log").open("w")
    process = subprocess.Popen([str(SCRIPTS / "run.sh")], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    tree: set[int] = set()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                get_json(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make run did not serve: {(data_dir.parent / 'run.log').read_text()[-3000:]}")
                time.sleep(0.2)
        tree = descendants(process.pid)
        yield process, port, redis_port, store_port
    finally:
        # Whatever the test did: nothing it started outlives it.
        tree |= descendants(process.pid)
        for pid in [process.pid, *tree]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        process.wait(5)
        log.close()


@pytest.fixture
def make_run(data_dir):  # noqa: F811
    with running(data_dir) as started:
        yield started


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_make_run_serves_keeps_secrets_0600_and_a_signal_stops_everything_it_started(make_run, data_dir, how):  # noqa: F811
    process, port, redis_port, store_port = make_run
    password = (data_dir / f"redis-{redis_port}" / "password").read_text().strip()
    store_password = (data_dir / f"redis-{store_port}" / "password").read_text().strip()

    # The app reaches the Redis it started, with the password.
    assert get_json(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
    env_file = data_dir / "run.env"
    assert mode(env_file) == 0o600
    assert mode(data_dir / "db.sqlite3") == 0o600
    assert mode(data_dir / f"redis-{redis_port}" / "password") == 0o600
    assert mode(data_dir) == 0o755  # MariaDB, running as mysql, passes through it
    written = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert written["REDIS_URL"] == f"redis://:{password}@127.0.0.1:{redis_port}/0"
    # Sessions and the broker on the store, which never evicts.
    assert written["REDIS_STORE_URL"] == f"redis://:{store_password}@127.0.0.1:{store_port}/0"
    assert written["CELERY_BROKER_URL"] == f"redis://:{store_password}@127.0.0.1:{store_port}/1"
    assert written["CELERY_RESULT_BACKEND"] == f"redis://:{store_password}@127.0.0.1:{store_port}/2"
    assert redis_client(store_port, store_password).config_get("maxmemory-policy") == {
        "maxmemory-policy": "noeviction"}
    assert redis_client(redis_port, password).config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert written["DATABASE_URL"] == f"sqlite:///{data_dir}/db.sqlite3"  # given, so written

    tree = descendants(process.pid)
    redis_pids = {int((data_dir / f"redis-{p}" / "redis.pid").read_text()) for p in (redis_port, store_port)}
    assert all(alive(pid) for pid in redis_pids)
    assert len(tree) >= 7, tree  # honcho, gunicorn and its worker, two Celery workers and beat

    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # what the terminal sends to the foreground group
    else:
        process.send_signal(signal.SIGTERM)  # `kill PID`, or make passing on its own SIGTERM
    process.wait(EXIT_SECONDS)

    deadline = time.monotonic() + 5
    while [pid for pid in tree | redis_pids if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in tree | redis_pids if alive(pid)] == []
    with pytest.raises(redis.ConnectionError):
        redis_client(redis_port, password).ping()


def test_make_run_with_a_local_cloudfront_sends_catalog_edits_to_moto_and_stops_it(data_dir):  # noqa: F811
    moto_port = free_port()
    with running(data_dir, CLOUDFRONT_DISTRIBUTION_ID="local", MOTO_PORT=str(moto_port), AWS_ENDPOINT_URL="",
                 CDN_BATCH_WINDOW="0.2") as (process, port, redis_port, store_port):
        written = dict(line.split("=", 1) for line in (data_dir / "run.env").read_text().splitlines())
        distribution = written["CLOUDFRONT_DISTRIBUTION_ID"]
        assert distribution != "local" and written["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{moto_port}"
        # An edit from another command (manage.py reads run.env), drained by the invalidations worker.
        edit = subprocess.run(
            [str(SCRIPTS.parent / ".venv/bin/python"), "manage.py", "shell", "-c",
             "from catalog.models import Product; p = Product.objects.order_by('pk').first(); "
             "p.price += 1; p.save(); print(p.pk)"],
            cwd=SCRIPTS.parent, capture_output=True, text=True, timeout=60,
            env={**script_env(data_dir), "SHOP_ENV_FILE": str(data_dir / "run.env"),
                 "SECRET_KEY": "test-only-run-secret"})
        assert edit.returncode == 0, edit.stderr[-2000:]
        product_id = edit.stdout.strip().splitlines()[-1]
        cloudfront = boto3.client("cloudfront", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1",
                                  aws_access_key_id="local", aws_secret_access_key="local")

        def sent_paths() -> list[str]:
            items = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
            return [path for item in items for path in cloudfront.get_invalidation(
                DistributionId=distribution, Id=item["Id"])["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]]

        deadline = time.monotonic() + 30
        while f"/api/v1/products/{product_id}/" not in sent_paths():
            assert time.monotonic() < deadline, (data_dir.parent / "run.log").read_text()[-3000:]
            time.sleep(0.3)
        moto_pid = int((data_dir / f"moto-{moto_port}" / "moto.pid").read_text())
        process.send_signal(signal.SIGTERM)
        process.wait(EXIT_SECONDS)
    deadline = time.monotonic() + 5
    while alive(moto_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(moto_pid)
