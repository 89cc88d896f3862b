"""A redis-server of a test's own, stopped and started for real (fail-open tests)."""
import socket
import subprocess
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from caching.layer import reset_layer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A redis-server of this test's own, stopped and started for real."""

    def __init__(self, directory, port: int):
        self.directory, self.port = directory, port

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--dir", str(self.directory), "--dbfilename", "dump.rdb", "--save", "",
             "--pidfile", str(self.directory / "redis.pid"), "--enable-debug-command", "yes",
             "--logfile", str(self.directory / "redis.log")],
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

    def client(self) -> redis.Redis:
        # No retries: redis-py's default backoff would add seconds to every stop.
        return redis.Redis(port=self.port, socket_timeout=2, retry=Retry(NoBackoff(), 0))


@pytest.fixture
def private_redis(tmp_path, settings):
    """The cache layer pointed at a redis-server of this test's own."""
    server = RedisProcess(tmp_path, _free_port())
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "failover": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        },
    }
    settings.CACHING = {"REDIS_ALIAS": "failover", "BREAKER_FAILURES": 2, "BREAKER_RESET_SECONDS": 0.3}
    reset_layer()
    from caching import connection

    connection._clients.clear()
    yield server
    server.stop(save=False)
    reset_layer()
    connection._clients.clear()


