"""Login, logout and the current session."""
from django.middleware.csrf import get_token
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.api.headers import PrivateNoStoreMixin

from . import services
from .serializers import LoginInput, UserSerializer


def _session_body(request) -> dict:
    user = request.user
    session = request.session
    expires_at = None
    if session.session_key:
        expires_at = (timezone.now() + timezone.timedelta(seconds=session.get_expiry_age())).isoformat()
    return {
        "authenticated": user.is_authenticated,
        "user": UserSerializer(user).data if user.is_authenticated else None,
        "expires_at": expires_at,
        # Clients send this back in X-CSRFToken on every unsafe request.
        "csrf_token": get_token(request),
    }


class LoginView(PrivateNoStoreMixin, APIView):
    @extend_schema(request=LoginInput, responses=dict)
    def post(self, request):
        serializer = LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_login(request=request, **serializer.validated_data)
        return Response(_session_body(request))


class LogoutView(PrivateNoStoreMixin, APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.session_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionView(PrivateNoStoreMixin, APIView):
    @extend_schema(responses=dict)
    def get(self, request):
        return Response(_session_body(request))
