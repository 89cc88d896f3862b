"""JSON request bodies taken at their JSON types, as the OpenAPI schema documents them.

DRF's fields coerce: an IntegerField takes "3" and 3.0, a CharField takes 42, a
BooleanField takes 0, "yes" and "off". The schema says `integer`, `string` and `boolean`,
and a body that breaks it must be refused, not reinterpreted: so a value of another JSON
type is a 400 here, with the field's own message. Query strings are text by nature and
keep DRF's parsing (shop.api.params).
"""
from __future__ import annotations

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


def _accepts(field: serializers.Field, value) -> bool:
    if isinstance(field, serializers.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, (serializers.CharField, serializers.ChoiceField)):
        return isinstance(value, str)
    return True  # nested serializers, lists and JSON check their own shapes


def _error(field: serializers.Field, value) -> list:
    key = "invalid_choice" if isinstance(field, serializers.ChoiceField) else "invalid"
    try:
        field.fail(key, input=value)
    except ValidationError as exc:
        return exc.detail
    return ["Invalid value."]  # pragma: no cover - fail() always raises


# Mixed into a body serializer (before the DRF base class): each field's value must have the
# JSON type its schema names; null is left to the field (allow_null). No docstring: the schema
# generator would take it as the description of every serializer that mixes it in.
class StrictJSONTypes:

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {
                field.field_name: _error(field, data[field.field_name])
                for field in self._writable_fields
                if field.field_name in data
                and data[field.field_name] is not None
                and not _accepts(field, data[field.field_name])
            }
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)
