"""The CloudFormation templates in deploy/: clean under cfn-lint, nested stacks wired to templates that exist,
the security properties of the stack in place, and only metrics the shop publishes named."""
from __future__ import annotations

import json
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from caching.cloudwatch import FIGURES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATES = sorted(DEPLOY.rglob("*.yaml"))
ROOT = DEPLOY / "stack.yaml"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
PUBLISHED = {(figure.name, figure.dimensions) for figure in FIGURES}
# SEARCH('{"namespace",Dim1,Dim2} MetricName="Name"', ...) in a dashboard's expression
SEARCH = re.compile(r"SEARCH\('\{\"(?P<namespace>[^\"]+)\"(?P<dimensions>(?:,\w+)*)\} MetricName=\"(?P<name>\w+)\"")


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !Sub, !GetAtt ...) as {"Ref": ...} / {"Fn::Sub": ...}."""


def _intrinsic(loader: TemplateLoader, suffix: str, node: yaml.Node):
    name = suffix if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return {name: value.split(".", 1) if suffix == "GetAtt" else value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


TemplateLoader.add_multi_constructor("!", _intrinsic)


def load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=TemplateLoader)


def dashboard_body(template: dict, resource: dict) -> dict:
    """The dashboard's JSON with its !Sub variables replaced: parameters by their defaults,
    anything else (pseudo-parameters, attributes) by a placeholder string."""
    text = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    parameters = template.get("Parameters", {})

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(parameters[name]["Default"]) if name in parameters else f"placeholder-{name}"

    return json.loads(re.sub(r"\$\{([^}]+)\}", value, text))


def named_metrics(template: dict) -> list[tuple[str, tuple[str, ...], str]]:
    """(metric name, dimension names, where) of every metric an alarm or a dashboard names."""
    found = []
    namespace_default = str(template.get("Parameters", {}).get("Namespace", {}).get("Default"))
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert properties["Namespace"] == {"Ref": "Namespace"}, logical_id
            found.append((properties["MetricName"], tuple(d["Name"] for d in properties.get("Dimensions", [])),
                          logical_id))
        elif resource["Type"] == "AWS::CloudWatch::Dashboard":
            for widget in dashboard_body(template, resource)["widgets"]:
                for row in widget["properties"].get("metrics", []):
                    if isinstance(row[0], dict):  # an expression
                        match = SEARCH.search(row[0]["expression"])
                        assert match, f"{logical_id}: an expression that is not a SEARCH: {row[0]}"
                        assert match["namespace"] == namespace_default, logical_id
                        found.append((match["name"], tuple(filter(None, match["dimensions"].split(","))),
                                      f"{logical_id}: {widget['properties']['title']}"))
                    else:  # [namespace, name, dim, value, ..., {options}]
                        plain = [part for part in row if not isinstance(part, dict)]
                        assert plain[0] == namespace_default, logical_id
                        found.append((plain[1], tuple(plain[2::2]), f"{logical_id}: {widget['properties']['title']}"))
    return found


def template_id(path: Path) -> str:
    return str(path.relative_to(DEPLOY))


def test_there_are_templates():
    # the parametrized tests below are not silently empty, and see the nested edge stacks
    assert {DEPLOY / "cloudwatch.yaml", ROOT, DEPLOY / "edge" / "apigateway.yaml"} <= set(TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=template_id)
def test_template_passes_cfn_lint(path):
    result = subprocess.run([str(CFN_LINT), "--format", "parseable", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=template_id)
def test_alarms_and_dashboards_name_only_published_metrics(path):
    named = named_metrics(load(path))
    unknown = [entry for entry in named if entry[:2] not in PUBLISHED]
    assert unknown == [], f"not published by caching.cloudwatch: {unknown}"


def test_the_dashboard_shows_every_published_metric_and_an_alarm_guards_each_target():
    template = load(DEPLOY / "cloudwatch.yaml")
    named = named_metrics(template)
    assert {entry[:2] for entry in named} == PUBLISHED
    alarms = {(resource["Properties"]["MetricName"], resource["Properties"]["ComparisonOperator"])
              for resource in template["Resources"].values() if resource["Type"] == "AWS::CloudWatch::Alarm"}
    assert {("HitRatio", "LessThanThreshold"), ("RequestLatencyP95", "GreaterThanThreshold"),
            ("RedisMemoryUtilization", "GreaterThanThreshold"), ("Evictions", "GreaterThanThreshold"),
            ("Errors", "GreaterThanThreshold")} <= alarms
    parameters = template["Parameters"]
    assert (parameters["HitRatioThreshold"]["Default"], parameters["LatencyP95ThresholdMs"]["Default"],
            parameters["RedisMemoryThreshold"]["Default"]) == (90, 100, 80)
    assert set(template["Outputs"]) == {"DashboardName", "AlarmTopicArn"}


def test_the_config_sync_lambda_runs_the_handler_on_the_buckets_object_events():
    template = load(DEPLOY / "config-sync.yaml")["Resources"]
    function = template["ConfigSyncFunction"]["Properties"]
    assert function["Handler"] == "runtime_config.lambda_handler.handler"
    from runtime_config import lambda_handler

    assert callable(lambda_handler.handler)
    assert set(function["Environment"]["Variables"]) >= {"CONFIG_BUCKET_NAME", "REDIS_URL"}
    events = {entry["Event"] for entry in
              template["ConfigBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]}
    assert events == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}


def nested_stacks() -> dict[str, tuple[Path, dict]]:
    """{logical id: (the nested template's path, the parameters the root passes it)}."""
    resources = load(ROOT)["Resources"]
    return {name: ((DEPLOY / resource["Properties"]["TemplateURL"]).resolve(), resource["Properties"]["Parameters"])
            for name, resource in resources.items() if resource["Type"] == "AWS::CloudFormation::Stack"}


def walk(node):
    """Every dict and list inside a template, depth first."""
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from walk(child)


def test_the_root_stack_nests_every_template_and_passes_what_each_one_takes():
    stacks = nested_stacks()
    for name, (path, passed) in stacks.items():
        assert path.is_file(), f"{name}: {path} does not exist"
        parameters = load(path).get("Parameters", {})
        assert set(passed) <= set(parameters), f"{name}: unknown parameters {set(passed) - set(parameters)}"
        required = {key for key, spec in parameters.items() if "Default" not in spec}
        assert required <= set(passed), f"{name}: missing parameters {required - set(passed)}"
    # Every template of deploy/ is part of the stack, none left behind.
    assert {path for path, _ in stacks.values()} | {ROOT} == {path.resolve() for path in TEMPLATES}
    # An output read from a nested stack is one that stack has.
    for node in walk(load(ROOT)):
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            stack, attribute = node["Fn::GetAtt"]
            if attribute.startswith("Outputs."):
                outputs = load(stacks[stack][0]).get("Outputs", {})
                assert attribute.removeprefix("Outputs.") in outputs, f"{stack}.{attribute}"


def secret_of(template: dict, reference: dict) -> dict:
    """The AWS::SecretsManager::Secret a `{{resolve:secretsmanager:${Name}...}}` reference names."""
    match = re.fullmatch(r"\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString(:\w+)?\}\}", reference["Fn::Sub"])
    assert match, reference
    secret = template["Resources"][match[1]]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    return secret["Properties"]["GenerateSecretString"]


def generated_punctuation(generator: dict) -> set[str]:
    """The punctuation Secrets Manager may put in a generated secret."""
    if generator.get("ExcludePunctuation"):
        return set()
    return set(string.punctuation) - set(generator.get("ExcludeCharacters", ""))


def test_redis_is_a_replicated_multi_az_cluster_with_tls_and_a_generated_auth_token():
    template = load(DEPLOY / "cache.yaml")
    resources, parameters = template["Resources"], template["Parameters"]
    cache, store = resources["Cache"]["Properties"], resources["Store"]["Properties"]
    assert cache["ClusterMode"] == "enabled"
    assert cache["NumNodeGroups"] == {"Ref": "CacheShards"} and parameters["CacheShards"]["MinValue"] >= 1
    assert cache["ReplicasPerNodeGroup"] == {"Ref": "CacheReplicasPerShard"}
    root = load(ROOT)["Parameters"]
    for spec in (parameters["CacheReplicasPerShard"], root["CacheReplicasPerShard"]):
        assert spec["MinValue"] >= 1 and spec["Default"] >= 1
    assert store["ReplicasPerNodeGroup"] == {"Ref": "StoreReplicas"} and parameters["StoreReplicas"]["MinValue"] >= 1
    for group in (cache, store):
        assert (group["MultiAZEnabled"], group["AutomaticFailoverEnabled"]) == (True, True)
        assert (group["TransitEncryptionEnabled"], group["AtRestEncryptionEnabled"]) == (True, True)
        # AUTH takes no other punctuation than !&#$^<>-, and the app carries the token in a URL.
        assert generated_punctuation(secret_of(template, group["AuthToken"])) <= {"-"}
    cache_parameters = resources["CacheParameters"]["Properties"]["Properties"]
    store_parameters = resources["StoreParameters"]["Properties"]["Properties"]
    assert cache_parameters == {"cluster-enabled": "yes", "maxmemory-policy": "allkeys-lru"}
    assert store_parameters == {"cluster-enabled": "no", "maxmemory-policy": "noeviction"}


def test_aurora_has_a_reader_and_its_password_is_generated():
    template = load(DEPLOY / "database.yaml")
    resources = template["Resources"]
    cluster = resources["Cluster"]["Properties"]
    assert cluster["Engine"] == "aurora-mysql" and cluster["StorageEncrypted"] is True
    assert template["Parameters"]["EngineVersion"]["Default"].startswith("8.0.mysql_aurora.3.")
    instances = {name: resource for name, resource in resources.items() if resource["Type"] == "AWS::RDS::DBInstance"}
    unconditional = [name for name, resource in instances.items() if "Condition" not in resource]
    assert len(unconditional) >= 2, "a writer and at least one reader, whatever the parameters"
    assert all(resource["Properties"]["PubliclyAccessible"] is False for resource in instances.values())
    assert min(load(ROOT)["Parameters"]["DatabaseReaders"]["AllowedValues"]) >= 1
    generator = secret_of(template, cluster["MasterUserPassword"])
    assert generator["GenerateStringKey"] == "password" and generated_punctuation(generator) == set()


def test_the_api_stage_caches_and_the_edges_are_wired_to_the_processes():
    stage = load(DEPLOY / "edge" / "apigateway.yaml")["Resources"]["Stage"]["Properties"]
    assert stage["CacheClusterEnabled"] is True and stage["CacheClusterSize"] == {"Ref": "CacheClusterSize"}
    app = load(DEPLOY / "app.yaml")["Resources"]
    for name, resource in app.items():
        if resource["Type"] == "AWS::ECS::TaskDefinition":
            for container in resource["Properties"]["ContainerDefinitions"]:
                names = {entry["Name"] for entry in container["Environment"]}
                assert {"APIGATEWAY_REST_API_ID", "APIGATEWAY_STAGE_NAME", "CLOUDFRONT_DISTRIBUTION_ID"} <= names, name
                assert {"DATABASE_HOST", "CACHE_REDIS_HOST", "STORE_REDIS_HOST"} <= names, name
                kind = next(entry["Value"] for entry in container["Environment"]
                            if entry["Name"] == "DATABASE_REPLICA_KIND")
                assert kind == "aurora", name  # Aurora readers answer SHOW SLAVE STATUS with no row
                secrets = {entry["Name"] for entry in container["Secrets"]}
                assert {"SECRET_KEY", "DATABASE_PASSWORD", "CACHE_REDIS_AUTH_TOKEN",
                        "STORE_REDIS_AUTH_TOKEN"} <= secrets, name
                assert not names & secrets, name
    statements = [statement for policy in app["InvalidationsTaskRole"]["Properties"]["Policies"]
                  for statement in policy["PolicyDocument"]["Statement"]]
    actions = {action for statement in statements for action in (
        statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])}
    assert actions == {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation", "apigateway:DELETE"}
    flush = next(statement for statement in statements if statement["Action"] == "apigateway:DELETE")
    assert flush["Resource"]["Fn::Sub"].endswith("::/restapis/${RestApiId}/stages/${StageName}/cache/data")
    beat = app["BeatService"]["Properties"]
    assert beat["DesiredCount"] == 1 and beat["DeploymentConfiguration"]["MaximumPercent"] == 100
    assert "BeatScaling" not in app


def test_the_load_balancer_checks_a_health_endpoint_the_shop_serves():
    from django.urls import resolve

    target_group = load(DEPLOY / "loadbalancer.yaml")["Resources"]["WebTargetGroup"]["Properties"]
    assert target_group["HealthCheckPath"] == "/readyz"
    assert resolve("/readyz").func.__name__ == "readyz"
