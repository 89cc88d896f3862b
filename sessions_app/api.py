"""Login, logout and the current session."""
from django.middleware.csrf import get_token
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.api.headers import PrivateNoStoreMixin
from shop.api.schema import api_operation

from . import services
from .serializers import LoginInput, SessionSerializer, UserSerializer


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
    @api_operation(request=LoginInput, ok={200: SessionSerializer}, errors=[403, 415, 429],
                   descriptions={400: "Invalid input, or a wrong username or password (`invalid`)."})
    def post(self, request):
        serializer = LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_login(request=request, **serializer.validated_data)
        return Response(_session_body(request))


class LogoutView(PrivateNoStoreMixin, APIView):
    @api_operation(ok={204: None}, errors=[403])
    def post(self, request):
        services.session_logout(request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionView(PrivateNoStoreMixin, APIView):
    @api_operation(ok={200: SessionSerializer})
    def get(self, request):
        return Response(_session_body(request))
