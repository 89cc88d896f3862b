"""Keeps every process's L1 coherent: invalidations are broadcast over Redis pub/sub.

Each process (gunicorn worker, Celery worker) runs one daemon thread that
listens on the invalidation channel and drops the named keys from its L1.
While that link is down the process cannot hear invalidations, so its L1 is
flushed and switched off until the link is back (and flushed once more then,
for what was missed in between).
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .tiers.local import LocalCache

logger = logging.getLogger(__name__)

FLUSH_ALL = "*"
_SEPARATOR = b"\n"


def encode_keys(sender: str, keys: Iterable[str]) -> bytes:
    """A broadcast: the sender's id, then the keys (or FLUSH_ALL), one per line."""
    return _SEPARATOR.join([sender.encode(), *(key.encode() for key in keys)])


def decode_keys(message: bytes) -> tuple[str, list[str]]:
    sender, *keys = message.split(_SEPARATOR)
    return sender.decode(), [key.decode() for key in keys if key]


class InvalidationBus:
    """The per-process subscriber thread and its link state."""

    ping_interval = 5.0
    retry_delay = 0.2

    def __init__(
        self,
        *,
        client_factory: Callable[[], Any],
        channel: str,
        l1: LocalCache,
        on_link_lost: Callable[[], None] = lambda: None,
    ):
        self._client_factory = client_factory
        self.channel = channel
        self.l1 = l1
        self.on_link_lost = on_link_lost
        self.connected = threading.Event()
        # A process applies its own invalidations before broadcasting them; its
        # own echo, arriving later, would only fence its newer reads.
        self.sender_id = uuid.uuid4().hex
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # L1 stays off until the first subscription is confirmed.
        l1.enabled = False

    def ensure_started(self) -> None:
        """Start the listener in this process (again after a fork: threads do not survive it)."""
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.sender_id = uuid.uuid4().hex  # a forked child is another process
            self.connected.clear()
            self.l1.enabled = False
            self.l1.clear()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="cache-invalidation-bus", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pid = None

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self._client_factory().pubsub()
                pubsub.subscribe(self.channel)
                self._listen(pubsub)
            except Exception as exc:  # any failure of the link means "invalidations may be missed"
                if self.connected.is_set():  # once per outage, not at every retry
                    logger.warning("cache invalidation link lost: %s", exc)
            finally:
                self._link_down()
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # the connection is already broken
                        pass
            self._stop.wait(self.retry_delay)

    def _listen(self, pubsub) -> None:
        last_ping = time.monotonic()
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=1.0)
            if message is not None:
                self._handle(message)
            elif time.monotonic() - last_ping > self.ping_interval:
                # A silent peer (a network partition sends no RST) shows up here.
                pubsub.ping()
                last_ping = time.monotonic()

    def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            self._link_up()
        elif kind == "message":
            sender, keys = decode_keys(message["data"])
            if sender == self.sender_id:
                return
            if keys == [FLUSH_ALL]:
                self.l1.clear()
            else:
                self.l1.invalidate(keys)

    def _link_up(self) -> None:
        self.l1.clear()  # whatever was published while we were away is lost: start empty
        self.l1.enabled = True
        self.connected.set()

    def _link_down(self) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        self.l1.enabled = False
        self.l1.clear()
        if was_connected:
            self.on_link_lost()
