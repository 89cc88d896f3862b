"""Keeps every process's L1 coherent: invalidations are broadcast over Redis pub/sub.

Each process (gunicorn worker, Celery worker) runs one daemon thread that
listens on the invalidation channel and applies what it hears to its L1, its
own broadcasts included: a process applies its own changes exactly as it
applies anyone else's. While the link is down, or silent for longer than a
bound (a half-open connection sends nothing, and says nothing either), the
process cannot hear invalidations, so its L1 is flushed and switched off until
the link is back, and flushed once more then, for what was missed in between.

Messages: a kind on the first line, then keys, one per line.
- KEYS: drop these keys from L1;
- FLUSH: drop everything;
- RECOVER: an invalidation could not reach Redis (it is in the outbox): drop
  everything and read no L2 until the outbox has been applied;
- SYNC: nothing to apply; its sender learns that everything it published
  before has been applied here (`InvalidationBus.sync`).
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

KEYS, FLUSH, RECOVER, SYNC = b"keys", b"flush", b"recover", b"sync"
_SEPARATOR = b"\n"


def encode(kind: bytes, keys: Iterable[str] = ()) -> bytes:
    return _SEPARATOR.join([kind, *(key.encode() for key in keys)])


def decode(message: bytes) -> tuple[bytes, list[str]]:
    kind, *keys = message.split(_SEPARATOR)
    return kind, [key.decode() for key in keys if key]


class LinkSilent(Exception):
    """The broadcast link answered no ping for longer than the silence bound."""


class InvalidationBus:
    """The per-process subscriber thread and its link state."""

    retry_delay = 0.2

    def __init__(
        self,
        *,
        client_factory: Callable[[], Any],
        channel: str,
        l1: LocalCache,
        ping_interval: float = 1.0,
        silence: float = 3.0,
        on_link_lost: Callable[[], None] = lambda: None,
        on_link_up: Callable[[], None] = lambda: None,
        on_recover: Callable[[], None] = lambda: None,
    ):
        self._client_factory = client_factory
        self.channel = channel
        self.l1 = l1
        self.ping_interval = ping_interval
        self.silence = silence
        self.on_link_lost = on_link_lost
        self.on_link_up = on_link_up
        self.on_recover = on_recover
        self.connected = threading.Event()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._syncs: dict[str, threading.Event] = {}
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
            self.connected.clear()
            self.l1.enabled = False
            self.l1.clear()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="cache-invalidation-bus", daemon=True)
            self._thread.start()

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until this process's listener has applied every broadcast published before
        now (they arrive in order: a marker published now comes after them)."""
        token = uuid.uuid4().hex
        done = self._syncs[token] = threading.Event()
        try:
            self._client_factory().publish(self.channel, encode(SYNC, [token]))
            return done.wait(timeout)
        finally:
            self._syncs.pop(token, None)

    def after_fork(self) -> None:
        """In a forked child: the parent's thread and locks are not ours."""
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread = None
        self._pid = None
        self.l1.enabled = False

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._pid == os.getpid():
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
                # Once per outage, not at every retry; nor when stop() closed it.
                if self.connected.is_set() and not self._stop.is_set():
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
        last_heard = last_ping = time.monotonic()
        wait = min(self.ping_interval, 0.5)
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=wait)
            now = time.monotonic()
            if message is not None:
                last_heard = now
                self._handle(message)
            if now - last_heard > self.silence:
                raise LinkSilent(f"no answer for {now - last_heard:.1f} s")
            if now - last_ping >= self.ping_interval:
                pubsub.ping()  # its answer (a pong) counts as hearing from the server
                last_ping = now

    def _handle(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            self._link_up()
        elif kind == "message":
            what, keys = decode(message["data"])
            if what == KEYS:
                self.l1.invalidate(keys)
            elif what == RECOVER:
                self.l1.clear()
                self.on_recover()
            elif what == SYNC:
                for token in keys:
                    if token in self._syncs:
                        self._syncs[token].set()
            else:
                self.l1.clear()

    def _link_up(self) -> None:
        self.l1.clear()  # whatever was published while we were away is lost: start empty
        self.l1.enabled = True
        self.connected.set()
        try:
            self.on_link_up()
        except Exception:  # best effort: a request will try again
            logger.warning("cache recovery after reconnect failed", exc_info=True)

    def _link_down(self) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        self.l1.enabled = False
        self.l1.clear()
        if was_connected:
            self.on_link_lost()
