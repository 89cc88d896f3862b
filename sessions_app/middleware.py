"""Puts the session's user on the request, checked against the database (see auth.live_session_user)."""
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.utils.functional import SimpleLazyObject

from .auth import live_session_user


def _user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = live_session_user(request)
    return request._cached_user


async def _auser(request):
    from asgiref.sync import sync_to_async

    return await sync_to_async(_user)(request)


class LiveSessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, but a session deleted in the database (a logout or a
    password change that Redis missed) is never accepted. Lazy: a view that never looks at
    `request.user` (the public catalog) costs no query."""

    def process_request(self, request):
        request.user = SimpleLazyObject(lambda: _user(request))
        request.auser = lambda: _auser(request)
