"""Fork safety: what a forked child (gunicorn --preload, Celery prefork) must not inherit.

A child gets a copy of the parent's memory but only the thread that forked: a
lock another thread held stays held forever, the invalidation listener is not
running, and single-flight calls in progress will never finish. So the child
forgets the layer and its clients (they are rebuilt on first use) and gives the
Django cache backends new locks and listeners.
"""
import os


def _after_fork_in_child() -> None:
    from . import clients, handler
    from .backends import local, redis

    handler.forget_after_fork()
    clients.forget_clients()
    local.after_fork()
    redis.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
