"""The Redis-backed session engine: write-through to the database, sliding expiry, deletion."""
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches

from conftest import PASSWORD, SESSION_CHECK_QUERIES
from sessions_app.engine import REFRESHED_AT, SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def _login(client, username="alice"):
    response = client.post("/api/v1/auth/login/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return client.cookies["sessionid"].value


def test_a_session_lives_in_redis_and_in_the_database(api_client, user):
    key = _login(api_client)
    store = SessionStore(key)
    assert caches["sessions"].get(store.cache_key)["_auth_user_id"] == str(user.id)
    assert Session.objects.filter(session_key=key).exists()
    assert key not in store.cache_key  # only its hash


def test_a_session_is_read_from_redis_and_only_checked_in_the_database(api_client, user, django_assert_num_queries):
    _login(api_client)
    api_client.get("/api/v1/session/")
    with django_assert_num_queries(SESSION_CHECK_QUERIES):
        assert api_client.get("/api/v1/session/").json()["authenticated"] is True


def test_a_session_missing_from_redis_is_read_from_the_database(api_client, user):
    key = _login(api_client)
    caches["sessions"].delete(SessionStore(key).cache_key)
    assert api_client.get("/api/v1/session/").json()["user"]["id"] == user.id


def test_the_expiry_slides_when_the_session_is_used(api_client, user):
    key = _login(api_client)
    store = SessionStore(key)
    data = caches["sessions"].get(store.cache_key)
    data[REFRESHED_AT] = int(time.time()) - 120  # last saved two minutes ago
    caches["sessions"].set(store.cache_key, data, 1800)
    Session.objects.filter(session_key=key).update(expire_date=Session.objects.get(session_key=key).expire_date
                                                   - __import__("datetime").timedelta(seconds=120))
    before = Session.objects.get(session_key=key).expire_date
    response = api_client.get("/api/v1/session/")
    after = Session.objects.get(session_key=key).expire_date
    assert (after - before).total_seconds() >= 119
    assert response.cookies["sessionid"]["max-age"] == 1800


def test_logout_deletes_the_session_everywhere(api_client, user):
    key = _login(api_client)
    cache_key = SessionStore(key).cache_key
    api_client.post("/api/v1/auth/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert caches["sessions"].get(cache_key) is None


def test_a_password_change_ends_the_session(api_client, user):
    key = _login(api_client)
    user.set_password("another-long-password-99")
    user.save()
    assert api_client.get("/api/v1/session/").json()["authenticated"] is False
    assert not Session.objects.filter(session_key=key).exists()
    assert caches["sessions"].get(SessionStore(key).cache_key) is None
