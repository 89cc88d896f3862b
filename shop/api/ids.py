"""Bounds of the integers a client may send: ids and page numbers.

A value beyond them is a 400, never a 500 from a key hash, a driver or the database.
"""
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

MAX_ID = 2**63 - 1  # the largest BIGINT primary key
MAX_PAGE = 10_000


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def page_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE,
                                    help_text="Page number, from 1 (the default); past the last page is a 404.")


def page_size_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=100,
                                    help_text="Items per page; 20 unless given.")


def checked_path_id(value: int, name: str = "id") -> int:
    """A path's id (`<int:...>` accepts any digits), or a 400 when it cannot be an id."""
    if not 1 <= value <= MAX_ID:
        raise ValidationError({name: [f"Ensure this value is between 1 and {MAX_ID}."]})
    return value
