"""The CloudFormation templates in deploy/: clean under cfn-lint, and naming only metrics the shop publishes."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from caching.cloudwatch import FIGURES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
TEMPLATES = sorted(DEPLOY.glob("*.yaml"))
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


def test_there_are_templates():
    assert DEPLOY / "cloudwatch.yaml" in TEMPLATES  # the parametrized tests below are not silently empty


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_template_passes_cfn_lint(path):
    result = subprocess.run([str(CFN_LINT), "--format", "parseable", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
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
