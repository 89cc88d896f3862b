"""deploy/edge/ follows the cache rules: rendered from them, private paths never cached, views send what is declared."""
from __future__ import annotations

import fnmatch
import re
from dataclasses import replace

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

from caching.edge import edge_registry
from caching.edge_templates import (
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    CACHING_DISABLED,
    FILES,
    cache_key_parameters,
    edge_dir,
    logical_id,
    path_pattern,
    render,
    resource_path,
)
from catalog.serializers import ProductListParams, SearchParams

PRIVATE_PATHS = ["/api/v1/cart/", "/api/v1/cart/items/", "/api/v1/cart/items/7/", "/api/v1/session/",
                 "/api/v1/auth/login/", "/api/v1/auth/logout/", "/api/v1/profile/", "/api/v1/orders/",
                 "/api/v1/orders/7/", "/api/v1/cache/stats/", "/api/v1/cache/invalidate/", "/api/v1/cache/warm/",
                 "/api/v1/config-sync/s3-events/", "/admin/", "/admin/cache/", "/metrics", "/healthz", "/readyz"]


def committed() -> dict[str, str]:
    return {name: (edge_dir() / name).read_text() for name in FILES}


def cloudfront() -> dict:
    """The distribution's template (rendered in long form: plain YAML)."""
    return yaml.safe_load(committed()["cloudfront.yaml"])


def apigateway() -> dict:
    return yaml.safe_load(committed()["apigateway.yaml"])


def distribution_config() -> dict:
    return cloudfront()["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


def method_settings() -> list[dict]:
    return apigateway()["Resources"]["Stage"]["Properties"]["MethodSettings"]


def api_paths(template: dict) -> dict[str, str]:
    """{logical id: full path} of the REST API's resources."""
    resources = {name: resource["Properties"] for name, resource in template["Resources"].items()
                 if resource["Type"] == "AWS::ApiGateway::Resource"}

    def path(name: str) -> str:
        parent = resources[name]["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{resources[name]['PathPart']}"

    return {name: path(name) for name in resources}


def api_methods(template: dict) -> dict[tuple[str, str], dict]:
    """{(resource path, HTTP method): the method's properties}."""
    paths = api_paths(template)
    methods = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            properties = resource["Properties"]
            target = properties["ResourceId"]
            methods[(paths[target["Ref"]] if "Ref" in target else "/", properties["HttpMethod"])] = properties
    return methods


def behaviour_for(path: str) -> dict:
    """The behaviour CloudFront picks: the first whose pattern matches, else the default."""
    config = distribution_config()
    for behaviour in config["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return behaviour
    return config["DefaultCacheBehavior"]


def method_setting_for(path: str) -> dict:
    """The most specific MethodSettings entry API Gateway applies to a GET of `path`."""
    resource = "/" + path.rstrip("/").replace("/", "~1")
    matches = [entry for entry in method_settings()
               if fnmatch.fnmatchcase(resource, re.sub(r"\{[^}]+\}", "*", entry["ResourcePath"]))]
    return max(matches, key=lambda entry: len(entry["ResourcePath"]))


def test_the_committed_files_are_what_the_cache_rules_render():
    assert committed() == render()
    call_command("render_edge_config", "--check")


def test_a_changed_ttl_without_rendering_again_is_drift(monkeypatch):
    route = edge_registry.get("/api/v1/products/{id}/")
    monkeypatch.setattr(edge_registry, "_routes", dict(edge_registry._routes))
    edge_registry.replace(replace(route, policy=replace(route.policy, s_maxage=route.policy.s_maxage + 1)))
    rendered = render()
    assert rendered["cloudfront.yaml"] != committed()["cloudfront.yaml"]
    assert rendered["apigateway.yaml"] != committed()["apigateway.yaml"]
    with pytest.raises(CommandError, match="render_edge_config"):
        call_command("render_edge_config", "--check")


@pytest.mark.parametrize("path", PRIVATE_PATHS)
def test_no_private_path_is_cacheable_at_either_edge(path):
    behaviour = behaviour_for(path)
    assert behaviour["CachePolicyId"] == CACHING_DISABLED, behaviour
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER  # cookies, Authorization
    assert "POST" in behaviour["AllowedMethods"]
    assert method_setting_for(path)["CachingEnabled"] is False


def test_public_cache_keys_hold_no_cookie_and_exactly_the_parameters_the_views_read():
    document = cloudfront()
    for route in edge_registry.all():
        if not route.cacheable:
            continue
        config = document["Resources"][logical_id(route)]["Properties"]["CachePolicyConfig"]
        key = config["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}
        assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, route.policy.s_maxage,
                                                                              route.policy.s_maxage)
        assert behaviour_for(path_pattern(route).replace("*", "x"))["CachePolicyId"] == {"Ref": logical_id(route)}
        setting = method_setting_for(path_pattern(route).replace("*", "x"))
        assert (setting["CachingEnabled"], setting["CacheTtlInSeconds"]) == (True, route.policy.s_maxage)
    listing = set(ProductListParams().fields)
    for path in ("/api/v1/products/", "/api/v1/categories/{slug}/products/"):
        assert set(edge_registry.get(path).query) == listing
    assert set(edge_registry.get("/api/v1/search/").query) == set(SearchParams().fields)
    assert edge_registry.get("/api/v1/products/{id}/").query == ()


def test_every_url_of_the_project_is_declared():
    """A new view must say whether the edge may keep it."""
    declared = [path_pattern(route) for route in edge_registry.all()]

    def walk(patterns, prefix: str):
        for entry in patterns:
            route = str(entry.pattern).lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                yield "/" + prefix + route

    for url in walk(get_resolver().url_patterns, ""):
        sample = re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "x", url)
        assert any(fnmatch.fnmatchcase(sample, pattern) for pattern in declared), url


def test_each_public_get_has_its_cache_key_and_every_path_reaches_the_origin():
    template = apigateway()
    methods = api_methods(template)
    paths = set(api_paths(template).values())
    for route in edge_registry.all():
        path = resource_path(route)
        assert path in paths, path
        proxied = methods[(path, "ANY")]["Integration"]
        assert proxied["Type"] == "HTTP_PROXY" and "CacheKeyParameters" not in proxied, path
        assert proxied["Uri"] == {"Fn::Sub": "${OriginUrl}" + route.path.replace("*", "{proxy}")}
        assert proxied["RequestParameters"]["integration.request.header.X-Origin-Verify"] == \
            "stageVariables.originVerify"
        if route.cacheable:
            cached = methods[(path, "GET")]
            assert cached["Integration"]["CacheKeyParameters"] == cache_key_parameters(route), path
            assert set(cached.get("RequestParameters", {})) >= set(cache_key_parameters(route))
        else:
            assert (path, "GET") not in methods, path
    # API Gateway refuses a method setting for a resource the API does not have.
    for entry in method_settings()[1:]:
        assert entry["ResourcePath"][1:].replace("~1", "/") in paths, entry
    stage = template["Resources"]["Stage"]["Properties"]
    assert stage["CacheClusterEnabled"] is True and stage["CacheClusterSize"] == {"Ref": "CacheClusterSize"}
    assert ("/{proxy+}", "ANY") in methods and ("/", "ANY") in methods  # paths declared nowhere: not cached


def test_a_changed_method_is_a_new_deployment(monkeypatch):
    """A deployment is a snapshot: the stage only serves a change through a new one."""
    def deployments(text: str) -> list[str]:
        return [name for name, resource in yaml.safe_load(text)["Resources"].items()
                if resource["Type"] == "AWS::ApiGateway::Deployment"]

    before = deployments(committed()["apigateway.yaml"])
    route = edge_registry.get("/api/v1/search/")
    monkeypatch.setattr(edge_registry, "_routes", dict(edge_registry._routes))
    edge_registry.replace(replace(route, query=(*route.query, "colour")))
    after = deployments(render()["apigateway.yaml"])
    assert len(before) == len(after) == 1 and before != after


@pytest.mark.django_db
def test_the_views_send_what_is_declared(api_client, product, monkeypatch):
    declared = {path: edge_registry.get(path).policy.header for path in (
        "/api/v1/products/{id}/", "/api/v1/products/", "/api/v1/categories/{slug}/products/",
        "/api/v1/categories/", "/api/v1/search/", "/api/v1/config/{name}/")}
    monkeypatch.setattr("runtime_config.api.config_get", lambda name: {
        "name": name, "data": {"checkout_enabled": True}, "version": "1", "synced_at": 0.0})
    requests = {
        "/api/v1/products/{id}/": f"/api/v1/products/{product.pk}/",
        "/api/v1/products/": "/api/v1/products/?ordering=price&page_size=5",
        "/api/v1/categories/{slug}/products/": f"/api/v1/categories/{product.category.slug}/products/",
        "/api/v1/categories/": "/api/v1/categories/",
        "/api/v1/search/": "/api/v1/search/?q=kettle",
        "/api/v1/config/{name}/": "/api/v1/config/feature-flags/",
    }
    for declared_path, url in requests.items():
        response = api_client.get(url)
        assert response.status_code == 200, (url, response.content)
        assert response["Cache-Control"] in (declared[declared_path], "public, max-age=0, s-maxage=0"), url
        if response["Cache-Control"] != declared[declared_path]:  # served stale: fetch again once refreshed
            assert api_client.get(url)["Cache-Control"] == declared[declared_path], url
