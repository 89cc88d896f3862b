"""A busy or unreachable database is a 503 with Retry-After, never a 500 (live servers, real databases)."""
import os
import subprocess
import sys
import threading

import pytest

from conftest import PASSWORD
from shop.tests.servers import ROOT, Gunicorn, HttpSession, free_port

SETUP = f"""
from decimal import Decimal
from django.contrib.auth import get_user_model
from catalog.models import Category, Product
category = Category.objects.create(name="Kitchen", slug="kitchen")
Product.objects.create(sku="MANY", name="Many", slug="many", price=Decimal("5.00"), stock=100, category=category)
Product.objects.create(sku="LAST", name="Last", slug="last", price=Decimal("5.00"), stock=1, category=category)
for name in ("ann", "ben"):
    get_user_model().objects.create_user(name, password="{PASSWORD}")
"""


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """gunicorn (4 sync workers) on a fresh SQLite file, as `make run` serves by default."""
    database = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings_test", "DATABASE_URL": f"sqlite:///{database}"}
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    server = Gunicorn(workers=4, env={"DATABASE_URL": f"sqlite:///{database}"})
    server.start()
    yield server
    server.stop()


def _product_id(server, sku: str) -> int:
    status, _, body = HttpSession(server.url).request("GET", "/api/v1/products/")
    return next(product["id"] for product in body["results"] if product["sku"] == sku)


def test_forty_concurrent_adds_to_one_cart_on_sqlite_all_succeed(sqlite_server):
    product_id = _product_id(sqlite_server, "MANY")
    client = HttpSession(sqlite_server.url)
    client.start_session()
    assert client.request("POST", "/api/v1/cart/items/", {"product_id": product_id})[0] == 201
    start = threading.Barrier(40)
    statuses = []

    def add():
        start.wait()
        statuses.append(client.request("POST", "/api/v1/cart/items/", {"product_id": product_id})[0])

    threads = [threading.Thread(target=add) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [201] * 40
    assert client.request("GET", "/api/v1/cart/")[2]["items"][0]["quantity"] == 41


def test_the_loser_of_a_race_for_the_last_unit_on_sqlite_gets_409(sqlite_server):
    product_id = _product_id(sqlite_server, "LAST")
    buyers = []
    for name in ("ann", "ben"):
        buyer = HttpSession(sqlite_server.url)
        buyer.start_session()
        assert buyer.request("POST", "/api/v1/auth/login/", {"username": name, "password": PASSWORD})[0] == 200
        assert buyer.request("POST", "/api/v1/cart/items/", {"product_id": product_id})[0] == 201
        buyers.append((buyer, buyer.request("GET", "/api/v1/cart/")[2]["version"]))
    start = threading.Barrier(2)
    statuses = []

    def checkout(buyer, version):
        start.wait()
        statuses.append(buyer.request("POST", "/api/v1/orders/", {"cart_version": version})[0])

    threads = [threading.Thread(target=checkout, args=buyer) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 409]


def test_with_the_database_down_reads_and_writes_are_503_with_retry_after():
    nowhere = f"mysql://shop:shop@127.0.0.1:{free_port()}/shop"
    server = Gunicorn(workers=1, env={"DATABASE_URL": nowhere})
    server.start()
    try:
        client = HttpSession(server.url)
        status, headers, body = client.request("GET", "/api/v1/products/1/")
        assert status == 503 and headers["Retry-After"].isdigit()
        assert body["error"]["code"] == "unavailable"
        csrf = "A" * 32
        status, headers, body = client.request("POST", "/api/v1/cart/items/", {"product_id": 1},
                                               headers={"Cookie": f"csrftoken={csrf}", "X-CSRFToken": csrf})
        assert status == 503 and "Retry-After" in headers
        status, headers, body = client.request("GET", "/readyz")
        assert status == 503
        assert body == {"status": "unavailable", "checks": {"database": "down", "redis": "ok", "store": "ok"}}
    finally:
        server.stop()
