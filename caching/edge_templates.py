"""The edge registry rendered as CloudFormation: the CloudFront and API Gateway nested stacks of deploy/stack.yaml."""
from __future__ import annotations

import hashlib
import json
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
# The header API Gateway adds to every request it sends to the load balancer, which
# forwards nothing without it (deploy/loadbalancer.yaml).
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
ORIGIN_VERIFY_VALUE = "{{resolve:secretsmanager:${OriginVerifySecretArn}:SecretString}}"

# What is not rendered from the declarations: parameters, conditions, outputs and the
# resource that holds the rendered parts (long-form intrinsics: plain YAML).
CLOUDFRONT_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Description: >-
  The shop's CDN: a CloudFront distribution in front of the API Gateway stage, with one cache
  policy per public path and the behaviours in the order CloudFront must try them.
Parameters:
  ApiDomainName:
    Type: String
    Description: The REST API's execute-api host name (no scheme, no path).
  StageName:
    Type: String
    AllowedPattern: "[A-Za-z0-9_]+"
  DomainName:
    Type: String
    Default: ""
    Description: Optional. The shop's public host name (an alias of the distribution).
  CertificateArn:
    Type: String
    Default: ""
    Description: ACM certificate in us-east-1 for DomainName (required with DomainName).
  PriceClass:
    Type: String
    Default: PriceClass_100
    AllowedValues: [PriceClass_100, PriceClass_200, PriceClass_All]
Conditions:
  HasDomainName:
    Fn::And:
      - Fn::Not: [{Fn::Equals: [{Ref: DomainName}, ""]}]
      - Fn::Not: [{Fn::Equals: [{Ref: CertificateArn}, ""]}]
Resources:
  Distribution:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Comment: {"Fn::Sub": "${AWS::StackName}: the shop's API"}
        HttpVersion: http2and3
        IPV6Enabled: true
        PriceClass: {Ref: PriceClass}
        Aliases: {"Fn::If": [HasDomainName, [{Ref: DomainName}], {Ref: "AWS::NoValue"}]}
        ViewerCertificate:
          Fn::If:
            - HasDomainName
            - {AcmCertificateArn: {Ref: CertificateArn}, SslSupportMethod: sni-only,
               MinimumProtocolVersion: TLSv1.2_2021}
            - {CloudFrontDefaultCertificate: true}
        Origins:
          - Id: api
            DomainName: {Ref: ApiDomainName}
            OriginPath: {"Fn::Sub": "/${StageName}"}
            CustomOriginConfig: {OriginProtocolPolicy: https-only, OriginSSLProtocols: [TLSv1.2]}
Outputs:
  DistributionId:
    Value: {Ref: Distribution}
  DistributionDomainName:
    Value: {"Fn::GetAtt": [Distribution, DomainName]}
"""

APIGATEWAY_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Description: >-
  The shop's API Gateway: a REST API whose every resource proxies to the load balancer (HTTP_PROXY),
  and a stage with a cache cluster whose method settings cache exactly the public GETs.
Parameters:
  OriginUrl:
    Type: String
    AllowedPattern: "https?://[^/]+"
    Description: Scheme and host of the load balancer the API forwards to, without a trailing slash.
  OriginVerifySecretArn:
    Type: String
    Description: Secret whose value API Gateway sends as the X-Origin-Verify header.
  StageName:
    Type: String
    Default: live
    AllowedPattern: "[A-Za-z0-9_]+"
  CacheClusterSize:
    Type: String
    Default: "0.5"
    AllowedValues: ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"]
    Description: Gigabytes of the stage's cache cluster.
Resources:
  RestApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: {Ref: "AWS::StackName"}
      Description: The shop's API, in front of its load balancer.
      EndpointConfiguration: {Types: [REGIONAL]}
Outputs:
  RestApiId:
    Value: {Ref: RestApi}
  StageName:
    Value: {Ref: Stage}
  ApiDomainName:
    Value: {"Fn::Sub": "${RestApi}.execute-api.${AWS::Region}.amazonaws.com"}
  InvokeUrl:
    Value: {"Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"}
"""


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
    """The distribution's template: cache policies, the default behaviour (nothing cached) and
    the behaviours in the order CloudFront must try them."""
    template = yaml.safe_load(CLOUDFRONT_TEMPLATE)
    default = cache_behavior(EdgeRoute("/*", PRIVATE))
    del default["PathPattern"]
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    config["DefaultCacheBehavior"] = default
    config["CacheBehaviors"] = [cache_behavior(route) for route in sorted(routes, key=_precedence)]
    template["Resources"] |= {logical_id(route): cache_policy(route) for route in routes if route.cacheable}
    return template


def cache_key_parameters(route: EdgeRoute) -> list[str]:
    """API Gateway's cache key of a public method: its path parameters, query parameters, headers."""
    names = [f"method.request.path.{name}" for name in re.findall(r"\{([^}]+)\}", route.path)]
    names += [f"method.request.querystring.{name}" for name in route.query]
    names += [f"method.request.header.{name}" for name in route.headers]
    return names


def method_settings(routes: list[EdgeRoute]) -> list[dict]:
    """The stage's MethodSettings: caching off for `/*`, on for each public GET, off for each private path."""
    settings = [{"ResourcePath": "/*", "HttpMethod": "*", "CachingEnabled": False}]
    for route in sorted(routes, key=resource_path):
        encoded = "/" + resource_path(route).replace("/", "~1")
        if route.cacheable:
            settings.append({"ResourcePath": encoded, "HttpMethod": "GET", "CachingEnabled": True,
                             "CacheTtlInSeconds": route.policy.s_maxage, "CacheDataEncrypted": True})
        else:
            settings.append({"ResourcePath": encoded, "HttpMethod": "*", "CachingEnabled": False})
    return settings


def _words(path: str) -> str:
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", path)) or "Root"


def _method(resource: str, origin_path: str, http_method: str, route: EdgeRoute | None = None) -> dict:
    """An AWS::ApiGateway::Method that proxies to `origin_path` on the load balancer; a public
    route's GET also names its cache key."""
    parameters = re.findall(r"\{(\w+)\+?\}", resource)
    request = {f"method.request.path.{name}": True for name in parameters}
    integration = {
        "Type": "HTTP_PROXY", "IntegrationHttpMethod": "ANY",
        "Uri": {"Fn::Sub": "${OriginUrl}" + origin_path},
        "RequestParameters": {f"integration.request.path.{name}": f"method.request.path.{name}" for name in parameters}
        | {f"integration.request.header.{ORIGIN_VERIFY_HEADER}": "stageVariables.originVerify"},
    }
    if route is not None:
        key = cache_key_parameters(route)
        request |= {name: ".path." in name for name in key}
        integration["CacheKeyParameters"] = key
    properties = {"RestApiId": {"Ref": "RestApi"},
                  "ResourceId": {"Fn::GetAtt": ["RestApi", "RootResourceId"]} if resource == "/"
                  else {"Ref": "Resource" + _words(resource)},
                  "HttpMethod": http_method, "AuthorizationType": "NONE", "Integration": integration}
    if request:
        properties["RequestParameters"] = request
    return {"Type": "AWS::ApiGateway::Method", "Properties": properties}


def apigateway(routes: list[EdgeRoute]) -> dict:
    """The REST API's template: a resource for every declared path (and their parents), each
    proxying ANY method to the same path on the origin, a cached GET on each public path, a
    catch-all `/{proxy+}`, and the stage with its cache cluster and method settings."""
    template = yaml.safe_load(APIGATEWAY_TEMPLATE)
    origin_paths = {"/": "/", "/{proxy+}": "/{proxy}"}
    for route in routes:
        parts = resource_path(route).strip("/").split("/")
        for depth in range(1, len(parts)):  # parents: the same path with a trailing slash
            origin_paths.setdefault("/" + "/".join(parts[:depth]), "/" + "/".join(parts[:depth]) + "/")
        origin_paths[resource_path(route)] = route.path.replace("*", "{proxy}")
    resources, methods = {}, {}
    for path, origin_path in sorted(origin_paths.items()):
        if path != "/":
            parent, part = path.rsplit("/", 1)
            resources["Resource" + _words(path)] = {"Type": "AWS::ApiGateway::Resource", "Properties": {
                "RestApiId": {"Ref": "RestApi"}, "PathPart": part,
                "ParentId": {"Ref": "Resource" + _words(parent)} if parent
                else {"Fn::GetAtt": ["RestApi", "RootResourceId"]}}}
        methods["Method" + _words(path) + "Any"] = _method(path, origin_path, "ANY")
    for route in routes:
        if route.cacheable:
            methods["Method" + _words(resource_path(route)) + "Get"] = _method(resource_path(route), route.path, "GET",
                                                                             route)
    if len(resources) != len(origin_paths) - 1:
        raise ValueError("two API Gateway resources would share a logical id")
    # A deployment is a snapshot: a new one (a new logical id) whenever the methods change.
    digest = hashlib.sha256(json.dumps([resources, methods], sort_keys=True).encode()).hexdigest()[:12]
    deployment = f"Deployment{digest}"
    template["Resources"] |= resources | methods | {
        deployment: {"Type": "AWS::ApiGateway::Deployment", "DependsOn": sorted(methods),
                     "Properties": {"RestApiId": {"Ref": "RestApi"},
                                    "Description": "the shop's API as rendered from its cache rules"}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "RestApi"}, "DeploymentId": {"Ref": deployment},
            "StageName": {"Ref": "StageName"},
            "CacheClusterEnabled": True, "CacheClusterSize": {"Ref": "CacheClusterSize"},
            "Variables": {"originVerify": {"Fn::Sub": ORIGIN_VERIFY_VALUE}},
            "MethodSettings": method_settings(routes)}},
    }
    return template


def render(routes: list[EdgeRoute] | None = None) -> dict[str, str]:
    """{file name under deploy/edge/: its text}, the same for the same declarations."""
    routes = edge_registry.all() if routes is None else routes
    documents = {"cloudfront.yaml": cloudfront(routes), "apigateway.yaml": apigateway(routes)}
    return {name: HEADER + yaml.safe_dump(document, sort_keys=False, width=120)
            for name, document in documents.items()}


def edge_dir() -> Path:
    from django.conf import settings

    return Path(settings.BASE_DIR) / "deploy" / "edge"
