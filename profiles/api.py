"""The logged-in user's profile."""
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import caching
from shop.api.headers import PrivateNoStoreMixin
from shop.api.http_cache import PRIVATE, cached_json_response
from shop.api.schema import api_operation

from .serializers import ProfileSerializer
from .services import profile_update


class ProfileView(PrivateNoStoreMixin, APIView):
    permission_classes = [IsAuthenticated]

    @api_operation(ok={200: ProfileSerializer}, errors=[403], cached=True)
    def get(self, request):
        result = caching.fetch("profile", request.user.pk)
        return cached_json_response(request, result.value, status=result.status, policy=PRIVATE)

    @api_operation(request=ProfileSerializer, ok={200: ProfileSerializer}, errors=[403, 415])
    def patch(self, request):
        # Not partial: every field is optional already, and a partial serializer
        # would also skip the required fields of each nested address.
        serializer = ProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, data=serializer.validated_data)
        return Response(ProfileSerializer(profile).data)
