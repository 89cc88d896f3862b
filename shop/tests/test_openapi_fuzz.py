"""The OpenAPI schema, proven against a live server by schemathesis.

Schemathesis reads /api/schema/, generates requests from it (valid ones, and invalid ones
that must be refused), sends them to a real gunicorn on the test MariaDB and Redis, and
checks every response: no server error, a documented status, content type and headers,
a body matching its schema, invalid input refused, valid input accepted, authentication
enforced, 405 for undocumented methods. It runs twice: as an anonymous visitor and as a
logged-in user. Zero failures over every operation is the requirement.

The checks are configured in schemathesis.toml next to this file (every check on, with
the few documented exceptions there).
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from carts.selectors import CartOwner
from carts.services import cart_add_item
from catalog.models import Category, Product
from conftest import PASSWORD
from orders.services import order_checkout
from shop.tests.servers import Gunicorn, HttpSession

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Bounded and repeatable: both runs together take about a minute on the 2-core machine.
MAX_EXAMPLES = 80
SEED = 20261125
OPERATIONS = 23
STAFF_OPERATIONS = 3  # cache/stats/, cache/invalidate/, cache/warm/


def _catalog() -> dict:
    """Two levels of categories and products in every state a listing or a cart meets."""
    home = Category.objects.create(name="Home", slug="home")
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen", parent=home)
    Category.objects.create(name="Retired", slug="retired", is_active=False)
    rows = [
        ("Copper Kettle", "39.90", 50, kitchen, True),
        ("Steel Pan", "24.50", 0, kitchen, True),  # out of stock
        ("Oak Table", "199.00", 20, home, True),
        ("Old Lamp", "9.99", 3, home, False),  # no longer sold
    ]
    products = [
        Product.objects.create(sku=f"FUZZ-{n:03d}", name=name, slug=name.lower().replace(" ", "-"),
                               description=f"{name}: a fine thing for the home.", price=Decimal(price),
                               stock=stock, category=category, is_active=active, attributes={"colour": "red"})
        for n, (name, price, stock, category, active) in enumerate(rows, 1)
    ]
    return {"products": products}


def _order_for(user, product: Product) -> None:
    owner = CartOwner(user_id=user.id)
    cart = cart_add_item(owner=owner, product_id=product.id, quantity=1)
    order_checkout(user=user, cart_version=cart.version)


@pytest.fixture
def live_shop():
    """A gunicorn on the test database with a small catalog, a user with an order and a cart
    (and a profile never saved: `updated_at` is null), and a staff user with an order of
    their own (which the user must never see)."""
    products = _catalog()["products"]
    users = get_user_model().objects
    alice = users.create_user("alice", "alice@example.com", PASSWORD)
    staff = users.create_user("staff", "staff@example.com", PASSWORD, is_staff=True)
    _order_for(alice, products[0])
    _order_for(staff, products[2])
    cart_add_item(owner=CartOwner(user_id=alice.id), product_id=products[0].id, quantity=2)

    server = Gunicorn(workers=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _session(url: str, username: str | None = None) -> dict[str, str]:
    """The cookies a browser front end holds: the CSRF cookie from GET session/, and the
    session cookie after logging in through the API."""
    client = HttpSession(url)
    client.start_session()
    if username is not None:
        status, _, body = client.request("POST", "/api/v1/auth/login/", {"username": username, "password": PASSWORD})
        assert status == 200 and body["authenticated"], body
    return {cookie.name: cookie.value for cookie in client.jar}


def _schemathesis(url: str, cookies: dict[str, str], *options: str,
                  cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    cookie_header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    command = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{url}/api/schema/",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        # The session and CSRF credentials are the real ones in the headers below: no
        # generated cookie or X-CSRFToken replaces them. Requests without them (403s) are
        # still sent: by the anonymous run, and by the ignored_auth check, which strips the
        # credentials from a successful request and expects a 403.
        "--generation-with-security-parameters", "false",
        "--generation-database", "none", "--request-timeout", "20", "--no-color",
        "-H", f"Cookie: {cookie_header}", "-H", f"X-CSRFToken: {cookies['csrftoken']}",
        *options,
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=400, cwd=cwd)
    return result, time.monotonic() - started


def _assert_clean(result: subprocess.CompletedProcess, server, operations: int) -> None:
    output = result.stdout + result.stderr
    detail = f"{output[-12000:]}\n--- server log (last lines) ---\n{server.log_tail(4000)}"
    assert result.returncode == 0, detail
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) == operations, detail


def _summary(result: subprocess.CompletedProcess) -> str:
    """The run's summary (phases, links, warnings, counts), shown with `pytest -rP`."""
    return result.stdout[result.stdout.rfind("SUMMARY"):] if "SUMMARY" in result.stdout else result.stdout[-3000:]


def test_schema_holds_for_anonymous_and_logged_in_clients(live_shop, tmp_path):
    server = live_shop
    # Log in before the anonymous run: its login attempts, all failures from this address,
    # trip the login throttle (documented as 429) for the rest of the window.
    alice = _session(server.url, "alice")
    staff = _session(server.url, "staff")
    assert {"sessionid", "csrftoken"} <= set(alice)
    visitor = _session(server.url)

    # Anonymous, with a CSRF token as a browser has: the cart works without logging in,
    # the private operations answer 403.
    result, anonymous_seconds = _schemathesis(server.url, visitor, cwd=tmp_path)
    _assert_clean(result, server, OPERATIONS)
    print(_summary(result))

    # Logged in. auth/logout/ is left out: it would end the session this run's Cookie
    # header carries, and every later request would be anonymous. The anonymous run
    # covers it.
    result, logged_in_seconds = _schemathesis(server.url, alice, "--exclude-path", "/api/v1/auth/logout/",
                                              cwd=tmp_path)
    _assert_clean(result, server, OPERATIONS - 1)
    print(_summary(result))

    # Staff, on the staff's cache API (which the runs above met as 403s).
    # (No stateful phase: no link leads into or out of these three.)
    result, staff_seconds = _schemathesis(server.url, staff, "--include-path-regex", "^/api/v1/cache/",
                                          "--phases", "examples,coverage,fuzzing", cwd=tmp_path)
    _assert_clean(result, server, STAFF_OPERATIONS)
    print(_summary(result))
    print(f"schemathesis: anonymous {anonymous_seconds:.1f} s, logged in {logged_in_seconds:.1f} s, "
          f"staff {staff_seconds:.1f} s")
