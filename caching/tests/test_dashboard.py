"""The admin's cache dashboard: staff only, its chart, and in a real browser (Debian's
chromium driven by Playwright) against a real gunicorn serving real traffic."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from caching.admin import BOTTOM, HEIGHT, TOP, hit_ratio_chart
from caching.stats import record_stats_point
from conftest import PASSWORD
from shop.tests.servers import ROOT, Gunicorn

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browsers are not downloaded
# What this machine's chromium needs to start headless and stay off the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / ".data" / "artifacts" / "cache-dashboard.png"


def test_chart_draws_one_line_per_data_type_from_0_to_100_percent():
    chart = hit_ratio_chart([
        {"t": 100.0, "hit_ratio": {"product": 0.0}},
        {"t": 130.0, "hit_ratio": {"product": 0.5, "categories": 1.0}},
        {"t": 160.0, "hit_ratio": {"product": 1.0, "categories": 1.0}},
    ])
    lines = {line.data_type: line for line in chart.series}
    assert set(lines) == {"categories", "product"}
    assert [y for _, y in lines["product"].points] == [HEIGHT - BOTTOM, (TOP + HEIGHT - BOTTOM) / 2, TOP]
    xs = [x for x, _ in lines["product"].points]
    assert xs == sorted(xs) and lines["categories"].points[0][0] == xs[1]
    assert lines["product"].latest_percent == "100.0 %"


def test_chart_needs_two_intervals():
    assert hit_ratio_chart([]) is None
    assert hit_ratio_chart([{"t": 1.0, "hit_ratio": {"product": 1.0}}]) is None


@pytest.mark.django_db
def test_anyone_but_staff_gets_the_admin_login_instead(client, user):
    response = client.get("/admin/cache/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(user)
    response = client.get("/admin/cache/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert b"not authorized to access this page" in response.content
    assert b"hit-ratio-chart" not in response.content and b"action-result" not in response.content


@pytest.mark.django_db
def test_staff_see_the_figures_and_no_chart_before_two_intervals(client, make_user):
    client.force_login(make_user("ops", is_staff=True))
    assert b'href="/admin/cache/"' in client.get("/admin/").content
    page = client.get("/admin/cache/").content.decode()
    assert "Not enough data yet" in page and "<polyline" not in page
    assert 'id="data-type-product"' in page and 'id="redis-layer"' in page
    assert 'data-action="warm" data-type="product"' in page
    assert 'data-action="warm" data-type="cart"' not in page  # carts declare no warming
    assert 'data-action="invalidate" data-type="cart"' in page


def record_point(directory, monkeypatch) -> None:
    """A chart point from the gunicorn workers' counters: this process reads their
    multiprocess files (its own counters are not among them)."""
    with monkeypatch.context() as patch:
        patch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
        record_stats_point()


@pytest.mark.django_db(transaction=True)
def test_dashboard_in_a_browser_charts_real_traffic_and_a_button_warms(
        make_user, make_product, tmp_path, monkeypatch, capsys):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap.sh installs it as root (apt-get install chromium)")
    products = [make_product() for _ in range(8)]
    make_user("ops", is_staff=True)
    directory = tmp_path / "prometheus"
    directory.mkdir()
    server = Gunicorn(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)},
                      args=("-c", "python:shop.gunicorn_conf"))
    server.start()
    try:
        # Three intervals, each reading more products than the last (new ones miss first),
        # a second apart: each worker sends its sampled hot keys at most once a second.
        for round_ in range(3):
            record_point(directory, monkeypatch)
            for product in products[: 2 + 3 * round_]:
                for _ in range(4):
                    assert server.get(f"/api/v1/products/{product.pk}/")[0] == 200
            time.sleep(1.1)
        record_point(directory, monkeypatch)

        # No database access from here on: Playwright's sync API runs an event loop, and
        # Django refuses the ORM when it sees one.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{server.url}/admin/login/?next=/admin/")
                page.fill("#id_username", "ops")
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit]")
                page.click("#cache-dashboard-link a")  # the admin's home page links to the dashboard
                page.wait_for_url("**/admin/cache/")

                line = page.locator("#hit-ratio-chart polyline[data-type=product]")
                assert len(line.get_attribute("points").split()) >= 2
                assert page.locator("#data-type-product td").nth(0).inner_text() != "0"  # requests
                expect(page.locator("#redis-layer")).to_contain_text("%")
                expect(page.locator("#cache-hot-keys tbody tr").first).to_contain_text("product")

                result = page.locator("#action-result")
                page.once("dialog", lambda dialog: dialog.accept())  # "Drop every product entry?"
                page.click("#data-type-product button[data-action=invalidate]")
                expect(result).to_contain_text('202 {"type":"product","queued":true}')

                page.click("#data-type-product button[data-action=warm]")
                expect(result).to_contain_text("202 ")
                status, body = result.inner_text().split(" ", 1)
                assert status == "202" and json.loads(body)["queued"] is True and json.loads(body)["type"] == "product"

                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOT, full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    with capsys.disabled():
        print(f"\ncache dashboard screenshot: {SCREENSHOT}")
