"""Runtime configs from S3 (moto's server, over HTTP) into Redis, through every entry point."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.parse
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from caching.tests.processes import ROOT, start_celery_worker, stop_process, worker_env
from runtime_config import lambda_handler
from runtime_config.services import SYNCS, config_store
from runtime_config.sync import config_key

BUCKET = "shop-config"
SECRET = "a-shared-secret-for-tests"
FLAGS = b'{"checkout_enabled": true, "new_search": false}'

pytestmark = pytest.mark.django_db


class Bucket:
    """The config bucket at moto, and the S3 events it would send (S3 numbers them with a
    growing hex sequencer per key)."""

    def __init__(self, s3):
        self.s3 = s3
        self.sequence = 0x100

    def put(self, key: str, body: bytes) -> dict:
        reply = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return self._event("ObjectCreated:Put", key, reply.get("VersionId", ""))

    def delete(self, key: str) -> dict:
        reply = self.s3.delete_object(Bucket=BUCKET, Key=key)
        return self._event("ObjectRemoved:DeleteMarkerCreated", key, reply.get("VersionId", ""))

    def _event(self, name: str, key: str, version: str) -> dict:
        self.sequence += 0x11
        return {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": name,
            "s3": {"bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                   "object": {"key": urllib.parse.quote_plus(key), "versionId": version,
                              "sequencer": f"00{self.sequence:014X}"}}}]}


@pytest.fixture
def bucket(aws, settings):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    settings.CONFIG_BUCKET_NAME = BUCKET
    settings.CONFIG_SYNC_SECRET = SECRET
    from runtime_config import services

    services._s3.cache_clear()  # boto3 client built with this test's endpoint
    config_store().delete(*(config_key(name) for name in ("feature-flags", "shipping-rates", "promotions")))
    return Bucket(s3)


def post_event(event: dict, secret: str = SECRET):
    client = APIClient()
    return client.post("/api/v1/config-sync/s3-events/", event, format="json", HTTP_X_CONFIG_SYNC_SECRET=secret)


def stored(name: str) -> dict | None:
    raw = config_store().get(config_key(name))
    return json.loads(raw) if raw else None


def test_an_upload_an_update_and_a_removal_each_reach_redis(bucket):
    created = bucket.put("flags.json", FLAGS)
    response = post_event(created)
    assert response.status_code == 200, response.content
    assert response.json()["outcomes"][0]["outcome"] == "written"
    document = stored("feature-flags")
    assert document["data"] == {"checkout_enabled": True, "new_search": False}
    assert document["version"] == created["Records"][0]["s3"]["object"]["versionId"]

    assert post_event(bucket.put("flags.json", b'{"checkout_enabled": false}')).status_code == 200
    assert stored("feature-flags")["data"] == {"checkout_enabled": False}

    assert post_event(bucket.delete("flags.json")).json()["outcomes"][0]["outcome"] == "deleted"
    assert stored("feature-flags") is None


def test_csv_and_yaml_are_parsed_checked_and_normalised(bucket):
    post_event(bucket.put("shipping/rates.csv", b"country,min_order_total,rate\nfr,0,4.9\n*,0,9.90\nFR,50,0\n"))
    assert stored("shipping-rates")["data"] == {"rates": [
        {"country": "*", "min_order_total": "0.00", "rate": "9.90"},
        {"country": "FR", "min_order_total": "0.00", "rate": "4.90"},
        {"country": "FR", "min_order_total": "50.00", "rate": "0.00"}]}
    post_event(bucket.put("promotions.yaml", b"- {code: WINTER-10, percent_off: 10, label: ' Winter '}\n"))
    assert stored("promotions")["data"] == {"promotions": [{"code": "WINTER-10", "percent_off": 10,
                                                            "label": "Winter"}]}


def test_an_older_event_arriving_after_a_newer_one_changes_nothing(bucket):
    older = bucket.put("flags.json", b'{"checkout_enabled": true}')
    newer = bucket.put("flags.json", b'{"checkout_enabled": false}')
    assert post_event(newer).json()["outcomes"][0]["outcome"] == "written"
    before = stored("feature-flags")
    outcome = post_event(older).json()["outcomes"][0]
    assert (outcome["outcome"], outcome["reason"]) == ("ignored", "older_event")
    assert stored("feature-flags") == before


def test_a_late_creation_after_the_removal_does_not_bring_the_config_back(bucket):
    created = bucket.put("flags.json", FLAGS)
    removed = bucket.delete("flags.json")
    post_event(removed)
    # The creation's event is older: ignored. Even without a sequencer to compare, the object
    # is read as S3 has it now: gone.
    assert post_event(created).json()["outcomes"][0]["outcome"] in ("ignored", "deleted")
    assert stored("feature-flags") is None


@pytest.mark.parametrize("key,body,reason", [
    ("flags.json", b'{"checkout_enabled": tru', "malformed"),
    ("flags.json", b'{"checkout_enabled": "yes"}', "invalid"),
    ("flags.json", b'{"Bad Name": true}', "invalid"),
    ("shipping/rates.csv", b"country,min_order_total,rate\nFR,0,-1\n", "invalid"),
    ("shipping/rates.csv", b"country,rate\nFR,1\n", "invalid"),
    ("promotions.yaml", b"- code: [unclosed\n", "malformed"),
    ("promotions.yaml", b"- {code: X, percent_off: 95}\n", "invalid"),
    ("flags.json", b'{"a": true, "pad": "' + b"x" * 300 + b'"}', "too_large"),
    ("secrets/passwords.json", b"{}", "unknown_key"),
])
def test_bad_input_is_rejected_counted_and_leaves_the_previous_value(bucket, settings, caplog, key, body, reason):
    settings.CONFIG_MAX_BYTES = 256
    post_event(bucket.put("flags.json", FLAGS))
    post_event(bucket.put("shipping/rates.csv", b"country,min_order_total,rate\n*,0,5\n"))
    post_event(bucket.put("promotions.yaml", b"[]\n"))
    before = {name: stored(name) for name in ("feature-flags", "shipping-rates", "promotions")}
    counted = SYNCS.labels("rejected", reason)._value.get()
    response = post_event(bucket.put(key, body))
    assert response.status_code == 200
    outcome = response.json()["outcomes"][0]
    assert (outcome["outcome"], outcome["reason"]) == ("rejected", reason)
    assert {name: stored(name) for name in before} == before
    assert SYNCS.labels("rejected", reason)._value.get() == counted + 1
    line = next(r for r in caplog.records if getattr(r, "step", "") == "rejected")
    assert line.key == key and line.reason == reason


@pytest.mark.parametrize("event", [
    {"Records": "nope"}, {"Records": [{"eventName": "ObjectCreated:Put"}]}, {"hello": 1},
    {"Records": [{"eventName": "s3:Something", "s3": {"bucket": {"name": BUCKET}, "object": {"key": "a"}}}]},
    {"Type": "Notification", "Message": "not json"}, [1, 2],
])
def test_a_malformed_event_is_a_400_and_changes_nothing(bucket, event):
    post_event(bucket.put("flags.json", FLAGS))
    before = stored("feature-flags")
    response = post_event(event)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "malformed_event"
    assert stored("feature-flags") == before


def test_the_endpoint_wants_the_shared_secret(bucket, settings):
    event = bucket.put("flags.json", FLAGS)
    assert post_event(event, secret="wrong").status_code == 403
    assert APIClient().post("/api/v1/config-sync/s3-events/", event, format="json").status_code == 403
    settings.CONFIG_SYNC_SECRET = ""
    assert post_event(event, secret="").status_code == 403  # not configured: nobody gets in
    assert stored("feature-flags") is None


def test_an_sns_envelope_is_accepted(bucket):
    event = bucket.put("flags.json", FLAGS)
    envelope = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:config",
                "Message": json.dumps(event)}
    assert post_event(envelope).json()["outcomes"][0]["outcome"] == "written"


def _comparable(document: dict) -> dict:
    return {name: value for name, value in document.items() if name != "synced_at"}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_lambda_handler_the_endpoint_and_the_task_give_the_same_result(bucket, monkeypatch, tmp_path):
    event = bucket.put("shipping/rates.csv", b"country,min_order_total,rate\nDE,0,4.5\n*,0,9\n")
    record = event["Records"][0]["s3"]["object"]

    by_endpoint = post_event(event).json()["outcomes"]
    via_endpoint = _comparable(stored("shipping-rates"))
    config_store().delete(config_key("shipping-rates"))

    from django.conf import settings

    monkeypatch.setenv("REDIS_URL", settings.CONFIG_REDIS_URL)
    monkeypatch.setenv("CONFIG_BUCKET_NAME", BUCKET)
    monkeypatch.setattr(lambda_handler, "_service", None)
    by_lambda = lambda_handler.handler(event, None)["outcomes"]
    via_lambda = _comparable(stored("shipping-rates"))
    config_store().delete(config_key("shipping-rates"))

    worker = start_celery_worker("config", log=tmp_path / "worker.log",
                                 env=worker_env(**_aws_env(), CONFIG_BUCKET_NAME=BUCKET))
    try:
        from runtime_config.tasks import sync_object

        by_task = [sync_object.delay(BUCKET, "shipping/rates.csv", False, record["sequencer"]).get(timeout=30)]
    finally:
        stop_process(worker)
    via_task = _comparable(stored("shipping-rates"))

    assert by_endpoint == by_lambda == by_task
    assert via_endpoint == via_lambda == via_task
    assert via_task["data"]["rates"][0] == {"country": "*", "min_order_total": "0.00", "rate": "9.00"}


def _aws_env() -> dict:
    import os

    return {name: os.environ[name] for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                "AWS_REGION")}


def test_sync_config_reads_every_object_with_a_progress_bar(bucket):
    bucket.put("flags.json", FLAGS)
    bucket.put("promotions.yaml", b"[]\n")
    bucket.put("shipping/rates.csv", b"country,min_order_total,rate\n*,0,5\n")
    bucket.put("notes/readme.txt", b"not a config")
    out, err = io.StringIO(), io.StringIO()
    call_command("sync_config", stdout=out, stderr=err)
    assert "3 written" in out.getvalue() and "1 rejected" in out.getvalue()
    assert "4/4" in err.getvalue()  # tqdm's bar
    assert stored("promotions")["data"] == {"promotions": []}
    call_command("sync_config", "--prefix", "shipping/", stdout=out, stderr=err)


def test_the_feature_flag_pauses_and_resumes_checkout(bucket, user_client, product):
    user_client.post("/api/v1/cart/items/", {"product_id": product.pk, "quantity": 1}, format="json")
    version = user_client.get("/api/v1/cart/").json()["version"]
    post_event(bucket.put("flags.json", b'{"checkout_enabled": false}'))
    paused = user_client.post("/api/v1/orders/", {"cart_version": version}, format="json")
    assert paused.status_code == 409 and paused.json()["error"]["code"] == "checkout_paused"
    assert user_client.get("/api/v1/config/feature-flags/").json()["data"] == {"checkout_enabled": False}
    post_event(bucket.put("flags.json", b'{"checkout_enabled": true}'))
    placed = user_client.post("/api/v1/orders/", {"cart_version": version}, format="json")
    assert placed.status_code == 201, placed.content
    assert Decimal(placed.json()["total"]) == product.price


def test_public_configs_only(api_client, bucket):
    assert api_client.get("/api/v1/config/feature-flags/").status_code == 404  # not synced yet
    assert api_client.get("/api/v1/config/secrets/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_packaged_lambda_runs_without_django(bucket, tmp_path):
    """scripts/package-lambda.sh's zip, on a path with boto3 (the Lambda runtime has it) and the
    zip first: the handler applies an event, importing neither Django nor the project."""
    import os
    import site

    package = subprocess.run([str(ROOT / "scripts" / "package-lambda.sh"), str(tmp_path / "config-sync.zip")],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "DATA_DIR": str(tmp_path)})
    assert package.returncode == 0, package.stderr
    event = bucket.put("flags.json", FLAGS)
    from django.conf import settings

    program = (
        "import json, sys; from runtime_config.lambda_handler import handler; import redis, yaml; "
        "print(json.dumps({'result': handler(json.loads(sys.argv[1]), None), "
        "'django': 'django' in sys.modules, 'shop': 'shop' in sys.modules, "
        "'redis_from_zip': redis.__file__.startswith(sys.argv[2]), "
        "'yaml_from_zip': yaml.__file__.startswith(sys.argv[2])}))")
    zip_path = str(tmp_path / "config-sync.zip")
    run = subprocess.run(
        [sys.executable, "-S", "-c", program, json.dumps(event), zip_path], capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={"PYTHONPATH": f"{zip_path}:{site.getsitepackages()[0]}",
                           "REDIS_URL": settings.CONFIG_REDIS_URL, "CONFIG_BUCKET_NAME": BUCKET, **_aws_env()})
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["result"]["outcomes"][0]["outcome"] == "written"
    assert not report["django"] and not report["shop"] and report["redis_from_zip"] and report["yaml_from_zip"]
    assert stored("feature-flags")["data"] == {"checkout_enabled": True, "new_search": False}
    assert '"step": "written"' in run.stderr  # its log lines are JSON too
