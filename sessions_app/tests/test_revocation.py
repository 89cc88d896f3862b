"""A session deleted in the database is never accepted again, whatever Redis holds or missed."""
import os
import signal

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from redis.cluster import RedisCluster
from rest_framework.test import APIClient

from conftest import PASSWORD
from sessions_app.engine import SessionStore
from shop.tests.servers import Gunicorn, HttpSession

pytestmark = pytest.mark.django_db(transaction=True)


def _login(client, username="alice") -> str:
    response = client.post("/api/v1/auth/login/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return client.cookies["sessionid"].value


def _server_pids() -> list[int]:
    """The redis-servers of the sessions: one, or every node of a Redis Cluster."""
    client = caches["sessions"].tier.client
    if isinstance(client, RedisCluster):
        return [info["process_id"] for info in client.info("server", target_nodes=RedisCluster.ALL_NODES).values()]
    return [client.info("server")["process_id"]]


class _Hung:
    """The Redis server of the sessions (and, when it is the same, of the cache) frozen
    (SIGSTOP) for the duration of the block: it accepts connections but answers nothing,
    as a hung or partitioned server does."""

    def __enter__(self):
        self.pids = _server_pids()
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


def test_a_logout_made_while_redis_hangs_stays_logged_out(user):
    client = APIClient()
    key = _login(client)
    assert client.get("/api/v1/profile/").status_code == 200
    cache_key = SessionStore(key).cache_key
    with _Hung():
        assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Session.objects.filter(session_key=key).exists()
    sessions = caches["sessions"]
    assert sessions.tier.client.exists(sessions.make_key(cache_key))  # Redis missed the logout: it still holds it

    stolen = APIClient()
    stolen.cookies["sessionid"] = key
    assert stolen.get("/api/v1/profile/").status_code == 403
    assert stolen.get("/api/v1/session/").json()["authenticated"] is False
    assert caches["sessions"].get(cache_key) is None  # the stale copy is dropped on the way
    for _ in range(3):  # and it stays so: no 400s, no comeback
        response = stolen.get("/api/v1/cart/")
        assert response.status_code == 200 and response.json()["items"] == []


def test_a_password_change_made_while_redis_hangs_ends_the_other_sessions(user):
    phone, laptop = APIClient(), APIClient()
    _login(phone)
    _login(laptop)
    assert phone.get("/api/v1/profile/").status_code == 200
    with _Hung():
        user.set_password("another-long-password-99")
        user.save()
    assert phone.get("/api/v1/profile/").status_code == 403
    assert laptop.get("/api/v1/session/").json()["authenticated"] is False


def test_a_logout_elsewhere_is_seen_by_a_request_served_from_redis(user):
    client = APIClient()
    key = _login(client)
    client.get("/api/v1/profile/")
    Session.objects.filter(session_key=key).delete()  # e.g. an admin ending the session, Redis untouched
    assert client.get("/api/v1/profile/").status_code == 403


def test_a_logout_made_on_one_server_while_redis_hangs_is_refused_by_another_that_saw_nothing(user):
    """Two servers: the first sees the hang (and could replay its outbox), the second
    never does; only the database check can refuse the old cookie there."""
    first, second = Gunicorn(workers=1), Gunicorn(workers=1)
    first.start()
    second.start()
    try:
        browser = HttpSession(first.url)
        browser.start_session()
        assert browser.request("POST", "/api/v1/auth/login/", {"username": "alice", "password": PASSWORD})[0] == 200
        key = browser.cookie("sessionid")
        stolen = HttpSession(second.url)
        # The second server has used Redis already (a process applies any pending outbox
        # before its first Redis command): from now on it has no reason to doubt Redis.
        assert stolen.request("GET", "/api/v1/session/", headers={"Cookie": f"sessionid={key}"})[2]["authenticated"]
        with _Hung():
            assert browser.request("POST", "/api/v1/auth/logout/")[0] == 204
        sessions = caches["sessions"]
        assert sessions.tier.client.exists(sessions.make_key(SessionStore(key).cache_key))  # Redis still has it

        status, _, _ = stolen.request("GET", "/api/v1/profile/", headers={"Cookie": f"sessionid={key}"})
        assert status == 403
    finally:
        first.stop()
        second.stop()
