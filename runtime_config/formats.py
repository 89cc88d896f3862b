"""Reading a config file's bytes: JSON, YAML or CSV, into plain Python values.

Nothing here knows what a config means (runtime_config.schemas does); a file that does
not parse raises ConfigRejected with a reason a log line can carry.
"""
from __future__ import annotations

import csv
import io
import json

import yaml


class ConfigRejected(ValueError):
    """The object cannot become a config: `reason` says why, for the log line and the counter."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigRejected("malformed", f"not UTF-8 text: {exc}") from exc


def parse_json(body: bytes):
    try:
        return json.loads(_text(body))
    except json.JSONDecodeError as exc:
        raise ConfigRejected("malformed", f"invalid JSON: {exc}") from exc


def parse_yaml(body: bytes):
    try:
        # safe_load: plain values only, nothing in a file can build an object or run code.
        return yaml.safe_load(_text(body))
    except yaml.YAMLError as exc:
        raise ConfigRejected("malformed", f"invalid YAML: {exc}") from exc


def parse_csv(body: bytes) -> list[dict[str, str]]:
    """Rows as dicts keyed by the header line; a row with too many or too few cells is refused."""
    reader = csv.DictReader(io.StringIO(_text(body)))
    if not reader.fieldnames:
        raise ConfigRejected("malformed", "CSV without a header line")
    rows = []
    try:
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise ConfigRejected("malformed", f"CSV line {reader.line_num}: wrong number of cells")
            rows.append({name.strip(): value.strip() for name, value in row.items()})
    except csv.Error as exc:
        raise ConfigRejected("malformed", f"invalid CSV: {exc}") from exc
    return rows


PARSERS = {"json": parse_json, "yaml": parse_yaml, "csv": parse_csv}
