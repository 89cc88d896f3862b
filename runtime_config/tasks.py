"""Celery: one task per S3 object (a queue of events may be fed to it instead of HTTP)."""
from celery import shared_task

from .services import config_sync
from .sync import ObjectEvent


@shared_task(name="runtime_config.sync_object")
def sync_object(bucket: str, key: str, removed: bool = False, sequencer: str = "") -> dict:
    """Apply one object's change to its config (the same service as the Lambda and the API)."""
    outcome = config_sync().apply(ObjectEvent(bucket=bucket, key=key, removed=removed, sequencer=sequencer))
    return outcome.as_dict()
