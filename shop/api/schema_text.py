"""The strings a DRF CharField accepts, written as JSON Schema, exactly.

A CharField refuses NUL characters, strips surrounding whitespace before anything else
(by default), then applies `allow_blank` and `max_length` to what is left. So " x " is
accepted where `max_length=1`, and "   " is blank. `maxLength` and `minLength` cannot say
that; a pattern can: surrounding whitespace, then a core that starts and ends with
something else and is at most `max_length` long.
"""
from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

# The characters str.strip() removes (str.isspace()): `\s` of ECMA-262 regexes misses the
# separators \x1c-\x1f and NEL \x85, so they are named too. (ECMA's `\s` also has U+FEFF,
# which Python keeps: a value made of byte-order marks alone is the one difference left.)
STRIPPED = r"\s\x1c-\x1f\x85"
_WS = f"[{STRIPPED}]"
_EDGE = rf"[^\x00{STRIPPED}]"  # a character that is neither stripped nor NUL


def _core(max_length: int | None) -> str:
    """One to `max_length` characters without NUL, first and last not stripped."""
    if max_length == 1:
        return _EDGE
    middle = r"[^\x00]*" if max_length is None else rf"[^\x00]{{0,{max_length - 2}}}"
    return rf"{_EDGE}(?:{middle}{_EDGE})?"


def refine_text_schema(field: serializers.Field, schema: dict) -> None:
    """Make a request-side string schema of a CharField state exactly what the field accepts.

    Fields with an explicit schema (a pattern already there) are left as they are, except that
    an anchored regex of a trimming field also admits the whitespace the field strips."""
    if not isinstance(field, serializers.CharField) or schema.get("type") != "string" or "oneOf" in schema:
        return
    has_regex = any(isinstance(v, RegexValidator) for v in field.validators)
    if "pattern" in schema:
        pattern = schema["pattern"]
        if has_regex and field.trim_whitespace and pattern.startswith("^") and pattern.endswith("$"):
            schema["pattern"] = f"^{_WS}*(?:{pattern[1:-1]}){_WS}*$"
        return
    if not field.trim_whitespace:
        schema["pattern"] = r"^[^\x00]*$"  # lengths are exact then
        return
    max_length = schema.pop("maxLength", None)
    trimmed = f"{_WS}*{_core(max_length)}{_WS}*"
    if not field.allow_blank:
        schema["pattern"] = f"^{trimmed}$"
        return
    # Blank is allowed: empty, only whitespace, or a core with whitespace around it. The empty
    # string gets a branch of its own (as drf-spectacular writes blank choices), the other one
    # never matches it, so exactly one branch matches any accepted value.
    inner = {key: schema.pop(key) for key in list(schema) if key not in _OUTER}
    schema["oneOf"] = [{**inner, "pattern": f"^(?:{_WS}+|{trimmed})$"}, {"type": "string", "maxLength": 0}]


_OUTER = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title", "default", "example"}
