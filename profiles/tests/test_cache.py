"""Profiles through the cache: hits without queries, edits read back, users apart."""
import pytest
from rest_framework.test import APIClient

from conftest import SESSION_CHECK_QUERIES

pytestmark = pytest.mark.django_db(transaction=True)


def test_profile_hit_costs_only_the_session_check_and_an_edit_is_read_back(user_client, django_assert_num_queries):
    user_client.get("/api/v1/profile/")
    with django_assert_num_queries(SESSION_CHECK_QUERIES):
        response = user_client.get("/api/v1/profile/")
    assert response["X-Cache"] == "HIT-L2"
    assert response["Cache-Control"] == "private, no-store"
    user_client.patch("/api/v1/profile/", {"display_name": "Alice A."}, format="json")
    after = user_client.get("/api/v1/profile/")
    assert after.json()["display_name"] == "Alice A." and after["X-Cache"] == "MISS"


def test_a_user_change_reaches_the_profile(user_client, user):
    user_client.get("/api/v1/profile/")
    user.email = "new@example.com"
    user.save()
    assert user_client.get("/api/v1/profile/").json()["email"] == "new@example.com"


def test_profile_304_costs_only_the_session_check(user_client, django_assert_num_queries):
    etag = user_client.get("/api/v1/profile/")["ETag"]
    with django_assert_num_queries(SESSION_CHECK_QUERIES):
        assert user_client.get("/api/v1/profile/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_two_users_profiles_stay_apart_through_the_cache(user_client, make_user):
    bob = APIClient()
    bob.force_login(make_user("bob"))
    user_client.patch("/api/v1/profile/", {"display_name": "Alice"}, format="json")
    for _ in range(2):
        assert user_client.get("/api/v1/profile/").json()["display_name"] == "Alice"
        assert bob.get("/api/v1/profile/").json() | {"updated_at": None} == {
            "username": "bob", "email": "bob@example.com", "display_name": "", "addresses": [],
            "preferences": {}, "updated_at": None}
