"""The profile endpoint: the user's own data only, validated field by field."""
import pytest

from profiles.models import Profile

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Alice A", "line1": "1 Rue X", "city": "Paris", "postal_code": "75001", "country": "FR"}


def test_profile_requires_login(api_client):
    response = api_client.get("/api/v1/profile/")
    assert response.status_code == 403
    assert "error" in response.json()


def test_get_profile_shows_defaults_without_writing(user_client):
    body = user_client.get("/api/v1/profile/").json()
    assert body["username"] == "alice"
    assert body["addresses"] == [] and body["display_name"] == ""
    assert Profile.objects.count() == 0


def test_patch_profile_updates_and_merges_preferences(user_client):
    response = user_client.patch(
        "/api/v1/profile/",
        {"display_name": "Alice", "addresses": [ADDRESS], "preferences": {"currency": "EUR"}},
        format="json",
    )
    assert response.status_code == 200
    user_client.patch("/api/v1/profile/", {"preferences": {"newsletter": True}}, format="json")
    body = user_client.get("/api/v1/profile/").json()
    assert body["display_name"] == "Alice"
    assert body["addresses"][0]["city"] == "Paris"
    assert body["preferences"] == {"currency": "EUR", "newsletter": True}


@pytest.mark.parametrize(
    "payload",
    [
        {"display_name": "x" * 101},
        {"addresses": [{**ADDRESS, "country": "France"}]},
        {"addresses": [{"city": "Paris"}]},
        {"addresses": [ADDRESS] * 11},
        {"addresses": "not a list"},
        {"preferences": {"currency": "DOGE"}},
    ],
)
def test_patch_profile_rejects_bad_input_and_changes_nothing(user_client, payload):
    user_client.patch("/api/v1/profile/", {"display_name": "Before"}, format="json")
    response = user_client.patch("/api/v1/profile/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert user_client.get("/api/v1/profile/").json()["display_name"] == "Before"


def test_profiles_of_two_users_stay_apart(user_client, make_user):
    from rest_framework.test import APIClient

    bob = APIClient()
    bob.force_login(make_user("bob"))
    user_client.patch("/api/v1/profile/", {"display_name": "Alice"}, format="json")
    body = bob.get("/api/v1/profile/").json()
    assert body["username"] == "bob" and body["display_name"] == ""
    assert "private" in bob.get("/api/v1/profile/")["Cache-Control"]
