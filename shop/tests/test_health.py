"""Health, readiness, schema and docs, and the JSON error shape outside the API views."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_reports_degraded_when_redis_is_unreachable(client, settings):
    # Point the cache at a loopback port where nothing listens.
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "down"


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/api/v1/products/", "/api/v1/cart/items/", "/api/v1/orders/", "/api/v1/auth/login/"]:
        assert path in paths
    assert client.get("/api/docs/").status_code == 200


def test_docs_page_works_offline(client, settings):
    """Swagger UI comes from the installed drf-spectacular-sidecar: the page names no other
    host, and every file it loads is served by the app (WhiteNoise, from the finders here,
    so no collectstatic is needed)."""
    html = client.get("/api/docs/").content.decode()
    assert "cdn" not in html.lower()
    assert re.findall(r"(?:https?:)?//[\w.-]+", html) == []  # no absolute URL at all
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets) and any(a.endswith(".css") for a in assets)
    settings.WHITENOISE_USE_FINDERS = True
    static = Client()  # a new client builds its middleware now, with the finders
    for asset in assets:
        assert asset.startswith("/static/"), asset
        response = static.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content]), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def test_unknown_url_is_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
