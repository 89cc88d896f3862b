"""Validation of query parameters through serializers, so a bad value is a 400, never a 500."""
from typing import Any

from rest_framework import serializers


def validate_query(serializer_class: type[serializers.Serializer], request) -> dict[str, Any]:
    """Validate the known query parameters of `request`; unknown names are ignored."""
    data = {name: request.query_params.get(name) for name in serializer_class().fields if name in request.query_params}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
