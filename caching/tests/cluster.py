"""A real Redis Cluster on loopback, 3 masters and 3 replicas with a password, for the tests
that must run on Cluster too (failover included)."""
from __future__ import annotations

import random
import secrets
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
    def __init__(self, directory: Path, *, masters: int = 3, replicas: int = 1):
        self.directory = directory
        self.masters, self.replicas = masters, replicas
        self.ports = free_ports(masters * (1 + replicas))
        self.password = secrets.token_hex(16)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.ports[0]}/0"

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=self.password, socket_timeout=2, retry=None)

    def start(self) -> None:
        for port in self.ports:
            node_dir = self.directory / str(port)
            node_dir.mkdir(parents=True)
            config = node_dir / "redis.conf"
            config.write_text(f"requirepass {self.password}\nmasterauth {self.password}\n")
            config.chmod(0o600)
            subprocess.run(
                ["redis-server", str(config), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                 "--dir", str(node_dir), "--save", "", "--appendonly", "no",
                 "--pidfile", str(node_dir / "redis.pid"), "--logfile", str(node_dir / "redis.log")],
                check=True,
            )
        for port in self.ports:
            self._wait(lambda port=port: self.node(port).ping())
        subprocess.run(
            ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True, capture_output=True, env={"REDISCLI_AUTH": self.password, "PATH": "/usr/bin:/bin"},
        )
        for port in self.ports:  # every node's view agrees, replicas included
            self._wait(lambda port=port: self._state_ok(port))
        self._wait(lambda: len(self.replica_ports()) == self.masters * self.replicas)
        # Replicas in sync with their masters: a manual failover waits for that, and times out without it.
        for port in self.replica_ports():
            self._wait(lambda port=port: self.node(port).info("replication")["master_link_status"] == "up")

    def _state_ok(self, port: int) -> bool:
        info = self.node(port).execute_command("CLUSTER INFO")
        if isinstance(info, dict):  # RESP3 parses it
            return info.get("cluster_state") == "ok"
        return "cluster_state:ok" in (info.decode() if isinstance(info, bytes) else info)

    def replica_ports(self) -> list[int]:
        return [port for port in self.ports if self.node(port).info("replication")["role"] == "slave"]

    def replica_of_slot_owner(self, key: str) -> int:
        """A replica of the master that owns `key`'s slot."""
        owner = self._slot_owner(int(self.node(self.ports[0]).execute_command("CLUSTER", "KEYSLOT", key)))
        for port in self.replica_ports():
            if self.node(port).info("replication")["master_port"] == owner:
                return port
        raise RuntimeError(f"no replica of the master of {key!r}")

    def _slot_owner(self, slot: int) -> int:
        for start, end, master, *_ in self.node(self.ports[0]).execute_command("CLUSTER SLOTS"):
            if start <= slot <= end:
                return int(master[1])
        raise RuntimeError(f"slot {slot} not covered")

    def stop(self) -> None:
        for port in self.ports:
            try:
                self.node(port).shutdown(nosave=True)
            except redis.RedisError:
                pass

    @staticmethod
    def _wait(predicate, timeout: float = 20.0) -> None:
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
