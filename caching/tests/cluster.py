"""A real 3-node Redis Cluster on loopback, for the tests that must run on Cluster too."""
from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path

import redis


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Free ports whose cluster bus port (port + 10000) is free too, so at most 55535."""
    ports: list[int] = []
    candidate = random.randrange(20_000, 45_000)
    while len(ports) < count:
        if _is_free(candidate) and _is_free(candidate + 10_000):
            ports.append(candidate)
        candidate += 1
    return ports


class RedisClusterProcesses:
    def __init__(self, directory: Path):
        self.directory = directory
        self.ports = free_ports(3)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        for port in self.ports:
            node_dir = self.directory / str(port)
            node_dir.mkdir(parents=True)
            subprocess.run(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", str(node_dir),
                 "--save", "", "--appendonly", "no", "--pidfile", str(node_dir / "redis.pid"),
                 "--logfile", str(node_dir / "redis.log")],
                check=True,
            )
        for port in self.ports:
            self._wait(lambda port=port: redis.Redis(port=port, retry=None).ping())
        subprocess.run(
            ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True,
        )
        self._wait(self._cluster_ok)

    def _cluster_ok(self) -> bool:
        info = redis.Redis(port=self.ports[0]).execute_command("CLUSTER INFO")
        if isinstance(info, dict):  # RESP3 parses it
            return info.get("cluster_state") == "ok"
        return "cluster_state:ok" in (info.decode() if isinstance(info, bytes) else info)

    def stop(self) -> None:
        for port in self.ports:
            try:
                redis.Redis(port=port, socket_timeout=1).shutdown(nosave=True)
            except redis.RedisError:
                pass

    @staticmethod
    def _wait(predicate, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis cluster did not come up")
            time.sleep(0.1)
