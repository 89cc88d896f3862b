"""Read replicas behind the router: a real MariaDB primary and replica (scripts/mariadb-replica.sh)
with real replication, and a real gunicorn reading through the router."""
import os
import subprocess
import sys
import time
import urllib.parse
from html.parser import HTMLParser

import MySQLdb
import pytest
from django.db import connection

from conftest import PASSWORD
from shop.celery import ALL_QUEUES
from shop.tests.servers import ROOT, Gunicorn, HttpSession

DATABASE = "test_replicas"
SETUP = f"""
from decimal import Decimal
from django.contrib.auth import get_user_model
from catalog.models import Category, Product
category = Category.objects.create(name="Kitchen", slug="kitchen")
for sku in ("EDIT", "QUIET", "FRESH", "TASK", "PAUSED", "LAGGING", "DOWN"):
    Product.objects.create(sku=sku, name=f"{{sku}} before", slug=sku.lower(), price=Decimal("5.00"),
                           stock=10, category=category)
get_user_model().objects.create_user("editor", password="{PASSWORD}", is_staff=True, is_superuser=True)
"""


def _ports() -> tuple[int, int]:
    """The pair's ports, next to the test primary's, so parallel runs on other ports never meet."""
    base = int(connection.settings_dict["PORT"])
    return base + 10, base + 11


def _url(port: int) -> str:
    return f"mysql://shop:shop@127.0.0.1:{port}/{DATABASE}"


def _sql(port: int, statement: str, *args) -> tuple:
    db = MySQLdb.connect(host="127.0.0.1", port=port, user="shop", password="shop", database=DATABASE, autocommit=True)
    try:
        cursor = db.cursor()
        cursor.execute(statement, args)
        return cursor.fetchall()
    finally:
        db.close()


def _replica(action: str, *ports: int) -> None:
    subprocess.run([str(ROOT / "scripts/mariadb-replica.sh"), action, *map(str, ports)], check=True,
                   env={**os.environ, "MARIADB_BUFFER_POOL": "64M"}, capture_output=True)


def _caught_up(primary: int, replica: int) -> None:
    deadline = time.monotonic() + 10
    want = _sql(primary, "SELECT @@gtid_binlog_pos")[0][0]
    while _sql(replica, "SELECT @@gtid_slave_pos")[0][0] != want:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def pair():
    """The primary and its replica (started once for the module), the shop migrated and seeded
    through the primary and replicated."""
    primary, replica = _ports()
    _replica("start", primary, replica)
    root = MySQLdb.connect(host="127.0.0.1", port=primary, user="shop", password="shop", autocommit=True)
    root.cursor().execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    root.cursor().execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    root.close()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings_test", "DATABASE_URL": _url(primary),
           "DATABASE_REPLICA_URLS": _url(replica)}
    for command in (["migrate", "--noinput", "-v0"], ["shell", "-c", SETUP]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
    _caught_up(primary, replica)
    yield primary, replica
    _replica("stop", primary, replica)


def _server(primary: int, replica: int, check_seconds: float, max_lag: int = 5) -> Gunicorn:
    return Gunicorn(workers=1, env={
        "DATABASE_URL": _url(primary), "DATABASE_REPLICA_URLS": _url(replica),
        "DATABASE_REPLICA_CHECK_SECONDS": str(check_seconds), "DATABASE_REPLICA_MAX_LAG": str(max_lag),
        "LOG_FORMAT": "text",
    })


def _seconds_behind(replica: int) -> int | None:
    db = MySQLdb.connect(host="127.0.0.1", port=replica, user="shop", password="shop")
    try:
        cursor = db.cursor()
        cursor.execute("SHOW SLAVE STATUS")
        status = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
        return status["Seconds_Behind_Master"]
    finally:
        db.close()


@pytest.fixture(scope="module")
def trusting_server(pair):
    """Checks each replica once an hour: a replica found healthy keeps serving after its
    replication is paused, so reads by others visibly come from it."""
    server = _server(*pair, check_seconds=3600)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def checking_server(pair):
    """Checks each replica every 0.2 s."""
    server = _server(*pair, check_seconds=0.2)
    server.start()
    yield server
    server.stop()


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.fields[name] = attrs.get("value") or ""
        elif tag == "input" and name and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.fields[name] = "on"
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


class Editor(HttpSession):
    """A staff member who edits products in the admin, as in a browser."""

    def form(self, method: str, path: str, fields: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method,
                                         headers={"Referer": f"{self.base_url}{path}"})
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()

    def log_in(self) -> None:
        _, page = self.form("GET", "/admin/login/")
        fields = _parsed(page)
        fields.update(username="editor", password=PASSWORD)
        self.form("POST", "/admin/login/?next=/admin/", fields)
        assert self.cookie("sessionid")

    def rename(self, product_id: int, name: str) -> None:
        path = f"/admin/catalog/product/{product_id}/change/"
        fields = _parsed(self.form("GET", path)[1])
        fields.update(name=name, _save="Save")
        self.form("POST", path, fields)


def _parsed(page: str) -> dict:
    parser = _FormFields()
    parser.feed(page)
    return parser.fields


def _product(primary: int, sku: str) -> int:
    return _sql(primary, "SELECT id FROM catalog_product WHERE sku = %s", sku)[0][0]


def _name(client: HttpSession, product_id: int) -> str:
    status, _, body = client.request("GET", f"/api/v1/products/{product_id}/")
    assert status == 200, body
    return body["name"]


def test_an_editor_reads_its_edit_at_once_while_others_read_the_paused_replica(pair, trusting_server):
    primary, replica = pair
    edited, quiet = _product(primary, "EDIT"), _product(primary, "QUIET")
    shopper, editor = HttpSession(trusting_server.url), Editor(trusting_server.url)
    assert _name(shopper, edited) == "EDIT before"  # the worker has found the replica healthy
    _replica("pause", replica)
    try:
        editor.log_in()
        editor.rename(edited, "EDIT after")
        assert editor.cookie("pin_primary")
        assert _sql(replica, "SELECT name FROM catalog_product WHERE id = %s", edited)[0][0] == "EDIT before"
        assert _name(editor, edited) == "EDIT after"
        # A change the cache has not seen: only the primary has it, and the shopper does not.
        _sql(primary, "UPDATE catalog_product SET name = 'QUIET after' WHERE id = %s", quiet)
        assert _name(shopper, quiet) == "QUIET before"
    finally:
        _replica("resume", replica)
    _caught_up(primary, replica)


def test_a_miss_right_after_an_edit_is_loaded_from_the_primary_not_cached_stale_from_the_replica(
        pair, trusting_server):
    primary, replica = pair
    product = _product(primary, "FRESH")
    shopper, editor = HttpSession(trusting_server.url), Editor(trusting_server.url)
    assert _name(shopper, product) == "FRESH before"  # cached, and the replica found healthy
    _replica("pause", replica)
    try:
        editor.log_in()
        editor.rename(product, "FRESH after")  # the entry is dropped; the replica has the old row
        newcomer = HttpSession(trusting_server.url)  # never wrote: not pinned, reads may go to the replica
        assert not newcomer.cookie("pin_primary")
        # The miss is within the replicas' lag bound of the invalidation: the primary is read,
        # and what is cached is the edit, not the replica's old row for the entry's whole TTL.
        assert _name(newcomer, product) == "FRESH after"
        status, headers, body = shopper.request("GET", f"/api/v1/products/{product}/")
        assert (status, body["name"]) == (200, "FRESH after") and headers["X-Cache"].startswith("HIT")
    finally:
        _replica("resume", replica)
    _caught_up(primary, replica)


def test_warming_tasks_read_the_replica_and_other_tasks_the_primary(pair, tmp_path):
    from caching.tests.processes import start_celery_worker, stop_process, worker_env
    from caching.tests.testapp.tasks import read_product

    primary, replica = pair
    product = _product(primary, "TASK")
    worker = start_celery_worker("replicas", log=tmp_path / "worker.log", env=worker_env(
        DATABASE_URL=_url(primary), DATABASE_REPLICA_URLS=_url(replica), DATABASE_REPLICA_CHECK_SECONDS="3600"))
    try:
        assert read_product.apply_async([product], queue="warming").get(timeout=30)["database"] == "replica1"
        _replica("pause", replica)
        try:
            _sql(primary, "UPDATE catalog_product SET name = 'TASK after' WHERE id = %s", product)
            reads = {queue: read_product.apply_async([product], queue=queue).get(timeout=30)
                     for queue in ALL_QUEUES}
        finally:
            _replica("resume", replica)
    finally:
        stop_process(worker)
    _caught_up(primary, replica)
    assert reads == {"warming": {"name": "TASK before", "database": "replica1"},
                     "invalidations": {"name": "TASK after", "database": "default"},
                     "default": {"name": "TASK after", "database": "default"}}


def test_a_paused_replica_is_skipped_logged_and_counted(pair, checking_server):
    primary, replica = pair
    product = _product(primary, "PAUSED")
    shopper = HttpSession(checking_server.url)
    assert shopper.request("GET", "/api/v1/categories/")[0] == 200  # the replica in use first
    _replica("pause", replica)
    try:
        _sql(primary, "UPDATE catalog_product SET name = 'PAUSED after' WHERE id = %s", product)
        time.sleep(0.3)  # past the check interval
        assert _name(shopper, product) == "PAUSED after"
    finally:
        _replica("resume", replica)
    _caught_up(primary, replica)
    assert "database replica replica1 skipped: stopped" in checking_server.log_tail(20_000)
    _, _, metrics = checking_server.get("/metrics")
    assert b'db_replica_skipped_total{reason="stopped",replica="replica1"}' in metrics


def test_a_replica_further_behind_than_the_bound_is_skipped(pair):
    primary, replica = pair
    product = _product(primary, "LAGGING")
    server = _server(primary, replica, check_seconds=0.2, max_lag=1)
    server.start()
    try:
        shopper = HttpSession(server.url)
        assert shopper.request("GET", "/api/v1/categories/")[0] == 200  # the replica in use first
        _replica("delay", replica, 60)  # replicating, but a minute behind
        _sql(primary, "UPDATE catalog_product SET name = 'LAGGING after' WHERE id = %s", product)
        deadline = time.monotonic() + 15
        while (_seconds_behind(replica) or 0) <= 1:
            assert time.monotonic() < deadline, "the replica never fell behind"
            time.sleep(0.1)
        time.sleep(0.3)  # past the check interval
        assert _name(shopper, product) == "LAGGING after"
        assert "database replica replica1 skipped: lagging" in server.log_tail(20_000)
        _, _, metrics = server.get("/metrics")
        assert b'db_replica_skipped_total{reason="lagging",replica="replica1"}' in metrics
    finally:
        server.stop()
        _replica("delay", replica, 0)
    _caught_up(primary, replica)


def test_a_stopped_replica_sends_reads_to_the_primary_without_errors(pair, checking_server):
    primary, replica = pair
    product = _product(primary, "DOWN")
    shopper = HttpSession(checking_server.url)
    assert shopper.request("GET", "/api/v1/products/?page_size=3")[0] == 200  # a replica connection open
    subprocess.run([str(ROOT / "scripts/mariadb.sh"), "stop", str(replica)], check=True, capture_output=True)
    _sql(primary, "UPDATE catalog_product SET name = 'DOWN after' WHERE id = %s", product)
    statuses = [shopper.request("GET", f"/api/v1/products/?page_size={size}")[0] for size in range(4, 24)]
    assert statuses == [200] * 20
    assert _name(shopper, product) == "DOWN after"
    assert "database replica replica1 skipped: down" in checking_server.log_tail(20_000)


def test_an_aurora_reader_is_judged_by_its_own_row_of_the_cluster_status(settings):
    """What an Aurora reader answers (replica_host_status, in ms); no Aurora runs here, so
    this checks the verdicts on rows of that shape, not Aurora itself."""
    from shop.db_router import _aurora_problem

    settings.DATABASE_REPLICA_MAX_LAG = 5
    assert _aurora_problem({"session_id": "0c7f-reader", "replica_lag_in_milliseconds": 20.0}) is None
    assert _aurora_problem({"session_id": "0c7f-reader", "replica_lag_in_milliseconds": 7500.0}) == "lagging"
    assert _aurora_problem({"session_id": "0c7f-reader", "replica_lag_in_milliseconds": None}) == "lagging"
    assert _aurora_problem({"session_id": "MASTER_SESSION_ID", "replica_lag_in_milliseconds": 0}) is None
    assert _aurora_problem({}) == "stopped"
