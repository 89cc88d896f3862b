"""The edge registry rendered as CloudFormation: CloudFront cache behaviours, API Gateway method settings."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from .edge import PRIVATE, EdgeRoute, edge_registry

# AWS's managed policies: no caching; every viewer header (Authorization and Cookie
# included, which CloudFront forwards only when caching is off), cookie and query string,
# except Host, reaches the origin.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5c84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ORIGIN_ID = "api"
HEADER = "# Rendered by `manage.py render_edge_config` from the apps' cache.py (caching.edge). Do not edit.\n"
FILES = ("cloudfront.yaml", "apigateway.yaml")


def path_pattern(route: EdgeRoute) -> str:
    """CloudFront's path pattern: each `{parameter}` a `*`."""
    return re.sub(r"\{[^}]+\}", "*", route.path)


def resource_path(route: EdgeRoute) -> str:
    """API Gateway's resource path (no trailing slash; a trailing `*` is `{proxy+}`)."""
    path = route.path.rstrip("/") or "/"
    return path[:-1] + "{proxy+}" if path.endswith("*") else path


def logical_id(route: EdgeRoute) -> str:
    words = re.findall(r"[A-Za-z0-9]+", route.path.removeprefix("/api/v1"))
    return "CachePolicy" + "".join(word.capitalize() for word in words)


def _precedence(route: EdgeRoute) -> tuple:
    # CloudFront takes the first behaviour whose pattern matches: the longer literal prefix
    # first, and an exact path before a pattern sharing its prefix.
    pattern = path_pattern(route)
    literal = pattern.split("*", 1)[0]
    return -len(literal), "*" in pattern, pattern


def cache_policy(route: EdgeRoute) -> dict:
    """The AWS::CloudFront::CachePolicy of a public route: its TTLs and its cache key."""
    policy = route.policy
    query = ({"QueryStringBehavior": "whitelist", "QueryStrings": list(route.query)} if route.query
             else {"QueryStringBehavior": "none"})
    headers = ({"HeaderBehavior": "whitelist", "Headers": list(route.headers)} if route.headers
               else {"HeaderBehavior": "none"})
    return {"Type": "AWS::CloudFront::CachePolicy", "Properties": {"CachePolicyConfig": {
        "Name": {"Fn::Sub": "${AWS::StackName}-" + logical_id(route).removeprefix("CachePolicy")},
        "Comment": f"{route.path}: {policy.header}",
        # 0: a response sent with s-maxage=0 (served stale while it refreshes) is not kept.
        "MinTTL": 0,
        "DefaultTTL": policy.s_maxage,
        "MaxTTL": policy.s_maxage,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": True,
            "EnableAcceptEncodingBrotli": True,
            "CookiesConfig": {"CookieBehavior": "none"},
            "HeadersConfig": headers,
            "QueryStringsConfig": query,
        },
    }}}


def cache_behavior(route: EdgeRoute) -> dict:
    """One entry of a distribution's CacheBehaviors."""
    behaviour = {"PathPattern": path_pattern(route), "TargetOriginId": ORIGIN_ID,
                 "ViewerProtocolPolicy": "redirect-to-https", "Compress": True}
    if route.cacheable:
        return {**behaviour, "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"],
                "CachePolicyId": {"Ref": logical_id(route)}}
    return {**behaviour, "AllowedMethods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
            "CachedMethods": ["GET", "HEAD"], "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER}


def cloudfront(routes: list[EdgeRoute]) -> dict:
    """Cache policies (resources), the default behaviour (nothing cached) and the behaviours in
    the order CloudFront must try them."""
    default = cache_behavior(EdgeRoute("/*", PRIVATE))
    del default["PathPattern"]
    return {
        "CachePolicies": {logical_id(route): cache_policy(route) for route in routes if route.cacheable},
        "DefaultCacheBehavior": default,
        "CacheBehaviors": [cache_behavior(route) for route in sorted(routes, key=_precedence)],
    }


def cache_key_parameters(route: EdgeRoute) -> list[str]:
    """API Gateway's cache key of a public method: its path parameters, query parameters, headers."""
    names = [f"method.request.path.{name}" for name in re.findall(r"\{([^}]+)\}", route.path)]
    names += [f"method.request.querystring.{name}" for name in route.query]
    names += [f"method.request.header.{name}" for name in route.headers]
    return names


def apigateway(routes: list[EdgeRoute]) -> dict:
    """The stage's MethodSettings (caching off unless a public GET turns it on) and, per public
    method, the request parameters and cache key of its AWS::ApiGateway::Method."""
    by_resource = sorted(routes, key=resource_path)
    settings = [{"ResourcePath": "/*", "HttpMethod": "*", "CachingEnabled": False}]
    for route in by_resource:
        encoded = "/" + resource_path(route).replace("/", "~1")
        if route.cacheable:
            settings.append({"ResourcePath": encoded, "HttpMethod": "GET", "CachingEnabled": True,
                             "CacheTtlInSeconds": route.policy.s_maxage, "CacheDataEncrypted": True})
        else:
            settings.append({"ResourcePath": encoded, "HttpMethod": "*", "CachingEnabled": False})
    methods = []
    for route in by_resource:
        if route.cacheable:
            key = cache_key_parameters(route)
            method = {"ResourcePath": resource_path(route), "HttpMethod": "GET"}
            if key:
                method |= {"RequestParameters": {name: ".path." in name for name in key},
                           "Integration": {"CacheKeyParameters": key}}
            methods.append(method)
    return {"MethodSettings": settings, "Methods": methods}


def render(routes: list[EdgeRoute] | None = None) -> dict[str, str]:
    """{file name under deploy/edge/: its text}, the same for the same declarations."""
    routes = edge_registry.all() if routes is None else routes
    documents = {"cloudfront.yaml": cloudfront(routes), "apigateway.yaml": apigateway(routes)}
    return {name: HEADER + yaml.safe_dump(document, sort_keys=True, width=120)
            for name, document in documents.items()}


def edge_dir() -> Path:
    from django.conf import settings

    return Path(settings.BASE_DIR) / "deploy" / "edge"
