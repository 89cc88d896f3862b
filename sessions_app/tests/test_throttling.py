"""Login throttling by username and by client address, for the API and the admin, backed by Redis."""
import time

import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD
from sessions_app.tests.hashers import CountingMD5PasswordHasher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_THROTTLE = {"PER_USERNAME": 3, "PER_ADDRESS": 6, "WINDOW_SECONDS": 1}
    settings.PASSWORD_HASHERS = ["sessions_app.tests.hashers.CountingMD5PasswordHasher"]


def _login(client, username="alice", password="wrong", address="10.0.0.1"):
    return client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json",
                       REMOTE_ADDR=address)


def test_wrong_passwords_beyond_the_limit_get_429_with_retry_after_and_cost_no_hashing(api_client, user):
    assert [_login(api_client).status_code for _ in range(3)] == [400, 400, 400]
    checks = CountingMD5PasswordHasher.checks
    throttled = _login(api_client)
    assert throttled.status_code == 429
    assert throttled["Retry-After"] == "1"  # the window (1 s here) ends then
    assert throttled.json()["error"]["code"] == "throttled"
    assert _login(api_client, password=PASSWORD).status_code == 429  # the right one too, while throttled
    assert CountingMD5PasswordHasher.checks == checks  # refused before any password was hashed


def test_the_right_password_works_again_after_the_window(api_client, user):
    for _ in range(4):
        _login(api_client)
    assert _login(api_client, password=PASSWORD).status_code == 429
    time.sleep(1.1)
    assert _login(api_client, password=PASSWORD).status_code == 200


def test_a_success_resets_the_username_so_a_few_typos_never_add_up(api_client, user):
    for _ in range(3):
        _login(api_client)
        _login(APIClient(), password=PASSWORD)
    assert _login(api_client).status_code == 400


def test_one_address_trying_many_usernames_is_throttled(api_client, make_user):
    for name in ("u1", "u2", "u3", "u4", "u5", "u6"):
        assert _login(api_client, username=name).status_code == 400
    assert _login(api_client, username="u7").status_code == 429
    assert _login(api_client, username="u7", address="10.0.0.2").status_code == 400  # another client is not


def test_the_admin_login_is_throttled_too(client, make_user):
    make_user("staff", is_staff=True)
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "staff", "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
        assert response.status_code == 200  # the form again, with its error
    throttled = client.post("/admin/login/", {"username": "staff", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled and throttled.json()["error"]["code"] == "throttled"


def test_the_client_address_is_read_behind_trusted_proxies_only(api_client, user, settings):
    spoofed = {"HTTP_X_FORWARDED_FOR": "1.1.1.1"}
    for attempt in range(7):  # without a trusted proxy the header is ignored: one address
        response = api_client.post("/api/v1/auth/login/", {"username": f"x{attempt}", "password": "p"},
                                   format="json", REMOTE_ADDR="10.0.0.4", **spoofed)
    assert response.status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1
    response = api_client.post("/api/v1/auth/login/", {"username": "x9", "password": "p"}, format="json",
                               REMOTE_ADDR="10.0.0.4", HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert response.status_code == 400  # the proxy says the client is 9.9.9.9


def test_a_redis_outage_locks_nobody_out_and_still_limits_guessing(private_redis, api_client, user):
    private_redis.stop(save=False)
    assert _login(api_client, password=PASSWORD).status_code == 200
    assert [_login(APIClient()).status_code for _ in range(4)][-1] == 429  # counted in this process meanwhile


def test_another_spelling_of_the_same_account_shares_its_limit(api_client, user):
    for _ in range(3):
        _login(api_client)
    # The database's collation logs "ALICE" and "alícé" in as alice: they are alice's attempts.
    assert _login(api_client, username="ALICE", password=PASSWORD, address="10.0.0.9").status_code == 429
    assert _login(api_client, username="alícé", address="10.0.0.9").status_code == 429
