"""One service behind every entry point: an S3 object (or its removal) becomes `config:<name>` in Redis.

The Lambda handler, the HTTP endpoint, the Celery task and `manage.py sync_config` all
call ConfigSync; it needs a boto3 S3 client and a redis-py client, not Django, so the
Lambda package carries it as it is.

Order. S3 sends events at least once and in no promised order. Each event carries a
`sequencer` (hex, growing per key): the stored config keeps the sequencer it came from,
and a write or a removal with an older one is ignored, atomically in Redis (a script
compares and writes). An event is also checked against S3's current state: a creation
reads the object as it is now (gone since: a removal), and a removal is ignored while
the object exists, so a late event never brings back what S3 no longer has.

Bad input. A malformed or schema-invalid file, an object over `max_bytes`, a key no
config is kept under, or a malformed event is rejected with one log line and a counted
outcome; nothing is written, so the previous value stays.
"""
from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .formats import ConfigRejected
from .schemas import ConfigType, config_type_for, transform

logger = logging.getLogger("runtime_config")

KEY_PREFIX = "config:"
MAX_BYTES = 256 * 1024

# Compare two sequencers as S3 says: pad the shorter with leading zeros, then compare as text.
_SEQUENCER_CHECK = """
local function newer(a, b)
  local n = math.max(#a, #b)
  return string.rep('0', n - #a) .. a > string.rep('0', n - #b) .. b
end
local current = redis.call('GET', KEYS[1])
if current and ARGV[2] ~= '' then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' and type(stored.sequencer) == 'string' and stored.sequencer ~= ''
     and not newer(ARGV[2], stored.sequencer) then
    return 0
  end
end
"""
WRITE_IF_NEWER = _SEQUENCER_CHECK + "redis.call('SET', KEYS[1], ARGV[1])\nreturn 1\n"
DELETE_IF_NEWER = _SEQUENCER_CHECK + "redis.call('DEL', KEYS[1])\nreturn 1\n"


class MalformedEvent(ValueError):
    """Not an S3 event notification (nor one inside an SNS envelope)."""


@dataclass(frozen=True)
class ObjectEvent:
    bucket: str
    key: str
    removed: bool
    sequencer: str = ""
    version_id: str = ""


@dataclass(frozen=True)
class Outcome:
    key: str
    outcome: str  # written, deleted, ignored, rejected
    config: str = ""
    reason: str = ""
    version: str = ""

    def as_dict(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


def config_key(name: str) -> str:
    return f"{KEY_PREFIX}{name}"


def parse_event(event: Any) -> list[ObjectEvent]:
    """The object events of an S3 notification, given directly, inside an SNS message (as SNS
    posts it over HTTP) or inside a Lambda SNS record. An S3 test event has none."""
    if isinstance(event, dict) and event.get("Type") == "Notification" and "Message" in event:
        return parse_event(_json(event["Message"]))
    if not isinstance(event, dict):
        raise MalformedEvent("an event is a JSON object")
    if event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedEvent("no Records")
    found: list[ObjectEvent] = []
    for record in records:
        if not isinstance(record, dict):
            raise MalformedEvent("a record is a JSON object")
        if isinstance(record.get("Sns"), dict):
            found.extend(parse_event(_json(record["Sns"].get("Message"))))
            continue
        try:
            name, s3 = record["eventName"], record["s3"]
            bucket, obj = s3["bucket"]["name"], s3["object"]
            key = urllib.parse.unquote_plus(obj["key"])  # S3 sends keys URL-encoded
        except (KeyError, TypeError) as exc:
            raise MalformedEvent(f"a record lacks {exc}") from exc
        if not isinstance(name, str) or not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
            raise MalformedEvent(f"not an object event: {name!r}")
        sequencer = obj.get("sequencer") or ""
        if not isinstance(sequencer, str) or (sequencer and not all(c in "0123456789abcdefABCDEF" for c in sequencer)):
            raise MalformedEvent("sequencer is not hexadecimal")
        found.append(ObjectEvent(bucket=str(bucket), key=key, removed=name.startswith("ObjectRemoved:"),
                                 sequencer=sequencer.upper(), version_id=str(obj.get("versionId") or "")))
    return found


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        raise MalformedEvent("an SNS message is a JSON string")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"an SNS message is not JSON: {exc}") from exc


class ConfigSync:
    def __init__(self, *, s3, redis, bucket: str, prefix: str = "", max_bytes: int = MAX_BYTES,
                 on_outcome: Callable[[Outcome], None] = lambda outcome: None):
        self.s3, self.redis, self.bucket, self.prefix = s3, redis, bucket, prefix
        self.max_bytes = max_bytes
        self.on_outcome = on_outcome
        self._write = redis.register_script(WRITE_IF_NEWER)
        self._delete = redis.register_script(DELETE_IF_NEWER)

    # Entry points ---------------------------------------------------------------------------

    def handle_event(self, event: Any) -> list[Outcome]:
        """Apply every object event of a notification; MalformedEvent for anything else."""
        try:
            records = parse_event(event)
        except MalformedEvent as exc:
            self._log(logging.WARNING, "rejected", key="", reason="malformed_event", detail=str(exc))
            self.on_outcome(Outcome(key="", outcome="rejected", reason="malformed_event"))
            raise
        return [self.apply(record) for record in records]

    def apply(self, record: ObjectEvent) -> Outcome:
        self._log(logging.INFO, "received", key=record.key, version=record.version_id,
                  sequencer=record.sequencer, removed=record.removed)
        if record.bucket != self.bucket:
            return self._done(Outcome(record.key, "rejected", reason="wrong_bucket"), logging.WARNING)
        if record.removed:
            return self.remove(record.key, sequencer=record.sequencer)
        return self.sync_object(record.key, sequencer=record.sequencer)

    def resync(self, prefix: str = "", progress: Callable[[Outcome], None] = lambda outcome: None
               ) -> list[Outcome]:
        """Read every object under `prefix` and write the configs they hold (a full resync)."""
        outcomes = []
        for key in self._list_keys(self.prefix + prefix):
            outcome = self.sync_object(key)
            outcomes.append(outcome)
            progress(outcome)
        return outcomes

    def keys(self, prefix: str = "") -> list[str]:
        return list(self._list_keys(self.prefix + prefix))

    # Steps ------------------------------------------------------------------------------------

    def sync_object(self, key: str, *, sequencer: str = "") -> Outcome:
        """Read the object as it is now, transform it, write it unless a newer event got there."""
        config_type = self._config_type(key, sequencer)
        if isinstance(config_type, Outcome):
            return config_type
        try:
            body, version = self._read(key)
        except _Gone:
            return self._delete_config(config_type, key, sequencer)
        except ConfigRejected as exc:
            return self._rejected(key, exc, config_type)
        self._log(logging.INFO, "read", key=key, version=version, config=config_type.name, bytes=len(body))
        try:
            data = transform(config_type, body)
        except ConfigRejected as exc:
            return self._rejected(key, exc, config_type, version)
        self._log(logging.INFO, "transformed", key=key, version=version, config=config_type.name)
        document = json.dumps({"name": config_type.name, "data": data, "version": version, "sequencer": sequencer,
                               "key": key, "synced_at": round(time.time(), 3)}, separators=(",", ":"))
        if not self._write(keys=[config_key(config_type.name)], args=[document, sequencer]):
            return self._done(Outcome(key, "ignored", config_type.name, reason="older_event", version=version))
        return self._done(Outcome(key, "written", config_type.name, version=version))

    def remove(self, key: str, *, sequencer: str = "") -> Outcome:
        config_type = self._config_type(key, sequencer)
        if isinstance(config_type, Outcome):
            return config_type
        if self._exists(key):  # created again since this removal: its own event writes it
            return self._done(Outcome(key, "ignored", config_type.name, reason="object_exists"))
        return self._delete_config(config_type, key, sequencer)

    def _config_type(self, key: str, sequencer: str) -> ConfigType | Outcome:
        """The config `key` holds, or the outcome that ends the event here: no config is kept
        under that key (rejected), or a newer event was applied already (ignored)."""
        try:
            config_type = config_type_for(key, self.prefix)
        except ConfigRejected as exc:
            return self._rejected(key, exc)
        if sequencer and not self._is_newer(config_type, sequencer):
            return self._done(Outcome(key, "ignored", config_type.name, reason="older_event"))
        return config_type

    def _delete_config(self, config_type: ConfigType, key: str, sequencer: str) -> Outcome:
        if not self._delete(keys=[config_key(config_type.name)], args=["", sequencer]):
            return self._done(Outcome(key, "ignored", config_type.name, reason="older_event"))
        return self._done(Outcome(key, "deleted", config_type.name))

    def _is_newer(self, config_type: ConfigType, sequencer: str) -> bool:
        """A cheap first look (the write's script decides): is `sequencer` after the stored one?"""
        stored = self.redis.get(config_key(config_type.name))
        try:
            previous = json.loads(stored).get("sequencer") if stored else ""
        except (ValueError, AttributeError):
            previous = ""
        if not previous:
            return True
        width = max(len(sequencer), len(previous))
        return sequencer.zfill(width) > previous.zfill(width)

    def _read(self, key: str) -> tuple[bytes, str]:
        try:
            reply = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise _Gone() from exc
            raise
        size = reply.get("ContentLength") or 0
        if size > self.max_bytes:
            reply["Body"].close()
            raise ConfigRejected("too_large", f"{size} bytes, over the {self.max_bytes} allowed")
        body = reply["Body"].read(self.max_bytes + 1)
        reply["Body"].close()
        if len(body) > self.max_bytes:
            raise ConfigRejected("too_large", f"over the {self.max_bytes} bytes allowed")
        return body, reply.get("VersionId") or reply.get("ETag", "").strip('"')

    def _exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if _missing(exc):
                return False
            raise

    def _list_keys(self, prefix: str) -> Iterable[str]:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    # Outcomes ---------------------------------------------------------------------------------

    def _rejected(self, key: str, exc: ConfigRejected, config_type: ConfigType | None = None,
                  version: str = "") -> Outcome:
        return self._done(Outcome(key, "rejected", config_type.name if config_type else "", reason=exc.reason,
                                  version=version), logging.WARNING, detail=str(exc))

    def _done(self, outcome: Outcome, level: int = logging.INFO, **extra) -> Outcome:
        self._log(level, outcome.outcome, key=outcome.key, version=outcome.version, config=outcome.config,
                  reason=outcome.reason, **extra)
        self.on_outcome(outcome)
        return outcome

    @staticmethod
    def _log(level: int, step: str, **fields) -> None:
        fields = {name: value for name, value in fields.items() if value not in ("", None)}
        logger.log(level, "config sync: %s %s", step, fields.get("key", ""), extra={"step": step, **fields})


def _missing(exc: ClientError) -> bool:
    """S3 says the object is not there (GetObject: NoSuchKey; HeadObject: a bare 404)."""
    return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


class _Gone(Exception):
    """The object no longer exists in S3."""

