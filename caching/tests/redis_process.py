"""A redis-server of a test's own (with a password), stopped, started and faulted for real."""
import secrets
import socket
import subprocess
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from caching.handler import reset_layer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A redis-server of this test's own, stopped and started for real."""

    def __init__(self, directory, port: int, *extra: str):
        self.directory, self.port, self.extra = directory, port, extra
        self.password = secrets.token_hex(16)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> None:
        config = self.directory / "redis.conf"
        config.write_text(f"requirepass {self.password}\n")
        config.chmod(0o600)
        subprocess.run(
            ["redis-server", str(config), "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--dir", str(self.directory), "--dbfilename", "dump.rdb", "--save", "",
             "--pidfile", str(self.directory / "redis.pid"), "--enable-debug-command", "yes",
             "--logfile", str(self.directory / "redis.log"), *self.extra],
            check=True,
        )
        client = self.client()
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self, *, save: bool) -> None:
        try:
            self.client().shutdown(save=save, nosave=not save)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits

    @property
    def pid(self) -> int:
        return int((self.directory / "redis.pid").read_text())

    def client(self) -> redis.Redis:
        # No retries: redis-py's default backoff would add seconds to every stop.
        return redis.Redis(port=self.port, password=self.password, socket_timeout=2, retry=Retry(NoBackoff(), 0))


def point_layer_at(settings, url: str, **caching) -> None:
    """Rebuild this process's cache layer on `url`, with fast fail-open settings for the tests."""
    settings.CACHING = {"REDIS_URL": url, "BREAKER_FAILURES": 2, "BREAKER_RESET_SECONDS": 0.3,
                        "REDIS_SOCKET_TIMEOUT": 0.1, "LINK_PING_INTERVAL": 0.2, "LINK_SILENCE": 0.6, **caching}
    reset_layer()


@pytest.fixture
def private_redis(tmp_path, settings):
    """The cache layer pointed at a redis-server of this test's own."""
    server = RedisProcess(tmp_path, free_port())
    server.start()
    point_layer_at(settings, server.url)
    yield server
    server.stop(save=False)
    reset_layer()
