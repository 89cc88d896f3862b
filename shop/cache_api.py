"""The staff's cache API: figures, dropping entries, warming (`/api/v1/cache/...`).

Thin views over caching.stats and caching.services; staff only (403 for anyone else).
Dropping a whole data type and warming run as Celery tasks (invalidations and warming
queues): both can take minutes on a large catalog, so the answer is a 202.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from caching.datatypes import registry
from caching.services import cache_invalidate_entry, warmable_types
from caching.stats import cache_stats
from caching.tasks import invalidate_type, warm_type
from shop.api.bodies import StrictJSONTypes
from shop.api.headers import PrivateNoStoreMixin
from shop.api.schema import api_operation
from shop.exceptions import ShopError

MAX_ID_LENGTH = 200
MAX_ID = 2**63 - 1


class BrokerUnavailable(ShopError):
    status = 503
    code = "unavailable"


def _type_names() -> list[str]:
    return sorted(kind.name for kind in registry.all())


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID},
                                {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}]})
class EntryIdField(serializers.Field):
    """One entry's id: an integer (a product's) or a string (a slug, `u-<user id>`)."""

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and 0 <= data <= MAX_ID:
            return data
        if isinstance(data, str) and 0 < len(data) <= MAX_ID_LENGTH:
            return data
        raise serializers.ValidationError(
            f"An id is an integer from 0 to {MAX_ID} or a string of 1 to {MAX_ID_LENGTH} characters.")

    def to_representation(self, value):
        return value


class InvalidateSerializer(StrictJSONTypes, serializers.Serializer):
    type = serializers.ChoiceField(choices=(), help_text="A registered data type, e.g. `product`.")
    id = EntryIdField(required=False, help_text="One entry's id; absent: every entry of the type.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = _type_names()


class WarmSerializer(StrictJSONTypes, serializers.Serializer):
    type = serializers.ChoiceField(choices=(), help_text="A data type that declares warming.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = warmable_types()


class InvalidatedSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = EntryIdField(required=False)
    key = serializers.CharField(required=False, help_text="The dropped entry's key (one entry).")
    queued = serializers.BooleanField(help_text="True: a whole type, dropped by a task on the invalidations queue.")


class QueuedSerializer(serializers.Serializer):
    type = serializers.CharField()
    queued = serializers.BooleanField()
    task_id = serializers.CharField()


class StatsSerializer(serializers.Serializer):
    """The shape of `GET cache/stats/` (caching.stats.cache_stats)."""

    sampled_at = serializers.FloatField()
    hit_ratio = serializers.FloatField(allow_null=True, help_text="Hits over look-ups since start, all types.")
    data_types = serializers.DictField(child=serializers.DictField(), help_text=(
        "Per data type: l1_hits, l1_misses, l2_hits, l2_misses, stale, errors, bypass, loads, invalidations, "
        "undecodable, requests, hit_ratio."))
    l1 = serializers.DictField()
    breaker_open = serializers.BooleanField()
    errors = serializers.DictField(child=serializers.FloatField())
    outboxes = serializers.DictField(child=serializers.IntegerField())
    redis = serializers.DictField(child=serializers.DictField(), help_text="INFO figures per Redis server.")
    hot_keys = serializers.DictField(child=serializers.ListField(child=serializers.DictField()),
                                     help_text="Per data type: the hottest keys, id and estimated reads a second.")


class _StaffView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAdminUser]


def _queue(task, data_type: str) -> str:
    try:
        return task.apply_async(args=[data_type], retry=False).id
    except Exception as exc:  # the broker is away
        raise BrokerUnavailable("The task queue is unavailable; try again shortly.") from exc


class CacheStatsView(_StaffView):
    @api_operation(ok={200: StatsSerializer}, errors=[403])
    def get(self, request):
        return Response(cache_stats())


class CacheInvalidateView(_StaffView):
    @api_operation(request=InvalidateSerializer, ok={200: InvalidatedSerializer, 202: InvalidatedSerializer},
                   errors=[403, 415])
    def post(self, request):
        serializer = InvalidateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data_type, item_id = serializer.validated_data["type"], serializer.validated_data.get("id")
        if item_id is None:
            _queue(invalidate_type, data_type)
            return Response({"type": data_type, "queued": True}, status=202)
        key = cache_invalidate_entry(data_type=data_type, item_id=item_id)
        return Response({"type": data_type, "id": item_id, "key": key, "queued": False})


class CacheWarmView(_StaffView):
    @api_operation(request=WarmSerializer, ok={202: QueuedSerializer}, errors=[403, 415])
    def post(self, request):
        serializer = WarmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data_type = serializer.validated_data["type"]
        return Response({"type": data_type, "queued": True, "task_id": _queue(warm_type, data_type)}, status=202)
