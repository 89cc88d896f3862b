"""Runtime config endpoints: S3 event notifications in, public configs out."""
from __future__ import annotations

import hmac

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.api.schema import api_operation
from shop.exceptions import InvalidRequest, NotFound

from .cache import CONFIG_EDGE
from .schemas import public_types
from .services import config_get, config_sync
from .sync import MalformedEvent

SECRET_HEADER = "X-Config-Sync-Secret"
CONFIG_POLICY = CONFIG_EDGE.policy  # declared in runtime_config/cache.py


class ConfigSyncSender:
    """Who posted the event: whoever holds the shared secret (S3 through SNS, or a relay)."""

    is_authenticated = True


class ConfigSyncSecretAuthentication(BaseAuthentication):
    """The shared secret in X-Config-Sync-Secret (CONFIG_SYNC_SECRET), compared in constant
    time; with no secret configured, nobody gets in."""

    def authenticate(self, request):
        secret = settings.CONFIG_SYNC_SECRET
        offered = request.META.get("HTTP_X_CONFIG_SYNC_SECRET", "")
        if not secret or not hmac.compare_digest(offered.encode(), secret.encode()):
            raise exceptions.AuthenticationFailed("A valid X-Config-Sync-Secret header is required.")
        return ConfigSyncSender(), None


class ConfigSyncSecretScheme(OpenApiAuthenticationExtension):
    target_class = "runtime_config.api.ConfigSyncSecretAuthentication"
    name = "configSyncSecret"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": SECRET_HEADER,
                "description": "The shared secret CONFIG_SYNC_SECRET."}


class OutcomeSerializer(serializers.Serializer):
    key = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=["written", "deleted", "ignored", "rejected"])
    config = serializers.CharField(required=False)
    reason = serializers.CharField(required=False, help_text="Why ignored or rejected: `older_event`, "
                                   "`object_exists`, `malformed`, `invalid`, `too_large`, `unknown_key`, "
                                   "`wrong_bucket`.")
    version = serializers.CharField(required=False, help_text="The object's version id (or ETag).")


class OutcomesSerializer(serializers.Serializer):
    outcomes = OutcomeSerializer(many=True)


class ConfigSerializer(serializers.Serializer):
    name = serializers.CharField()
    data = serializers.JSONField()
    version = serializers.CharField()
    synced_at = serializers.FloatField()


class S3EventView(APIView):
    """S3 event notifications (ObjectCreated, ObjectRemoved) on the config bucket, posted
    directly or inside an SNS envelope; each object is applied at once."""

    authentication_classes = [ConfigSyncSecretAuthentication]
    permission_classes = [IsAuthenticated]

    @api_operation(request=OpenApiTypes.OBJECT, ok={200: OutcomesSerializer}, errors=[403, 415],
                   descriptions={403: "No valid `X-Config-Sync-Secret` (or none is configured)."})
    def post(self, request):
        if not isinstance(request.data, dict):
            raise InvalidRequest("An S3 event notification is a JSON object.", code="malformed_event")
        try:
            outcomes = config_sync().handle_event(request.data)
        except MalformedEvent as exc:
            raise InvalidRequest(f"Not an S3 event notification: {exc}", code="malformed_event") from exc
        return Response({"outcomes": [outcome.as_dict() for outcome in outcomes]})


class PublicConfigView(APIView):
    authentication_classes = ()
    permission_classes = [AllowAny]

    @api_operation(ok={200: ConfigSerializer}, errors=[404], parameters=[OpenApiParameter(
        "name", str, OpenApiParameter.PATH, enum=public_types(), description="A public config.")])
    def get(self, request, name: str):
        if name not in public_types():
            raise NotFound("No such config.")
        document = config_get(name)
        if document is None:
            raise NotFound("This config has not been synced.")
        response = Response({field: document.get(field) for field in ("name", "data", "version", "synced_at")})
        response["Cache-Control"] = CONFIG_POLICY.header
        return response

