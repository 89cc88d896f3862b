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
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "store": "ok"}}


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


def test_readyz_reports_degraded_when_the_store_of_sessions_and_the_broker_is_unreachable(client, settings):
    settings.CACHES = {**settings.CACHES, "sessions": {**settings.CACHES["sessions"], "LOCATION": "redis://127.0.0.1:1/0"}}
    body = client.get("/readyz").json()
    assert body == {"status": "degraded", "checks": {"database": "ok", "redis": "ok", "store": "down"}}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _ref(schema: dict, reference: str) -> dict:
    return schema["components"]["schemas"][reference.rsplit("/", 1)[1]]


def _body(schema: dict, response: dict) -> dict:
    return _ref(schema, response["content"]["application/json"]["schema"]["$ref"])


def test_openapi_schema_and_docs(client, schema):
    paths = schema["paths"]
    for path in ["/api/v1/products/", "/api/v1/cart/items/", "/api/v1/orders/", "/api/v1/auth/login/"]:
        assert path in paths
    assert client.get("/api/docs/").status_code == 200


def test_schema_documents_query_and_path_parameters(schema):
    search = {p["name"]: p for p in schema["paths"]["/api/v1/search/"]["get"]["parameters"]}
    assert search["q"]["required"] is True and search["q"]["in"] == "query"
    assert {"category", "min_price", "max_price", "ordering", "page", "page_size"} <= set(search)
    listing = {p["name"] for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]}
    assert {"category", "min_price", "max_price", "ordering", "page", "page_size"} <= listing
    history = {p["name"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]}
    assert {"page", "page_size"} <= history
    product_id = schema["paths"]["/api/v1/products/{id}/"]["get"]["parameters"]
    bounds = next(p["schema"] for p in product_id if p["in"] == "path")
    assert (bounds["minimum"], bounds["maximum"]) == (1, 2**63 - 1)


def test_schema_documents_response_bodies(schema):
    history = schema["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]
    page = _body(schema, history)
    assert set(page["required"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["next"]["nullable"] is True
    assert page["properties"]["results"]["items"]["$ref"].endswith("/Order")
    products = _body(schema, schema["paths"]["/api/v1/products/"]["get"]["responses"]["200"])
    assert products["properties"]["results"]["items"]["$ref"].endswith("/ProductListItem")
    profile = _body(schema, schema["paths"]["/api/v1/profile/"]["get"]["responses"]["200"])
    assert profile["properties"]["updated_at"]["nullable"] is True
    cart = _body(schema, schema["paths"]["/api/v1/cart/"]["get"]["responses"]["200"])
    line = _ref(schema, cart["properties"]["items"]["items"]["$ref"])
    assert line["properties"]["confirmed_unit_price"]["nullable"] is True
    assert {"id", "version", "items", "item_count", "total", "price_changed"} <= set(cart["required"])
    session = _body(schema, schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]["200"])
    assert {"authenticated", "user", "expires_at", "csrf_token"} <= set(session["required"])


def test_schema_documents_every_error_response(schema):
    for name, operation in _operations(schema):
        responses = operation["responses"]
        for status in ("400", "406", "413", "503"):
            assert _body(schema, responses[status])["properties"]["error"]["$ref"].endswith("Body"), name
        assert responses["503"]["headers"]["Retry-After"]["required"] is True, name
        assert "414" in responses, name
        if name.startswith(("POST", "PATCH", "DELETE")) or "profile" in name or "orders" in name:
            assert "403" in responses, name  # CSRF, or not logged in
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert login["429"]["headers"]["Retry-After"]["required"] is True
    assert {"415", "429"} <= set(login)
    checkout = schema["paths"]["/api/v1/orders/"]["post"]["responses"]["409"]
    details = _ref(schema, _ref(schema, _body(schema, checkout)["properties"]["error"]["$ref"])["properties"]
                   ["details"]["$ref"])
    assert details["properties"]["cart"]["allOf"][0]["$ref"].endswith("/Cart")
    product = schema["paths"]["/api/v1/products/{id}/"]["get"]["responses"]
    assert {"200", "304", "404"} <= set(product)
    assert {"ETag", "X-Cache"} <= set(product["304"]["headers"])
    error = schema["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"status", "code", "message"} and "details" in error["properties"]


def test_schema_documents_session_and_csrf_security(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie",
                                        "name": "sessionid"}
    assert schemes["csrfHeader"] == {**schemes["csrfHeader"], "type": "apiKey", "in": "header",
                                     "name": "X-CSRFToken"}
    assert schemes["csrfCookie"] == {**schemes["csrfCookie"], "type": "apiKey", "in": "cookie",
                                     "name": "csrftoken"}
    paths = schema["paths"]
    # Public catalog: nothing needed.
    assert "security" not in paths["/api/v1/products/"]["get"]
    # Carts work anonymously; their writes need the CSRF token, logged in or not.
    assert {} in paths["/api/v1/cart/"]["get"]["security"]
    assert paths["/api/v1/cart/items/"]["post"]["security"] == [
        {"sessionCookie": [], "csrfCookie": [], "csrfHeader": []}, {"csrfCookie": [], "csrfHeader": []}]
    assert {"csrfCookie": [], "csrfHeader": []} in paths["/api/v1/auth/login/"]["post"]["security"]
    # Login required.
    assert paths["/api/v1/profile/"]["get"]["security"] == [{"sessionCookie": []}]
    assert paths["/api/v1/orders/"]["post"]["security"] == [{"sessionCookie": [], "csrfCookie": [],
                                                              "csrfHeader": []}]


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
