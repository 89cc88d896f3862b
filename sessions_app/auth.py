"""Who a request is: the user of its session, checked against the database on every request.

The session's data may come from Redis, but Redis may have missed a logout or a
password change (it was down or hung when the session was deleted). So the
user is read with one query that also requires the session's row to still
exist in the database: a session deleted there is never accepted again,
whatever Redis holds. Nothing about users is cached in Redis (no password
hashes in a shared store).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import Exists
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .throttling import login_throttle


class ThrottledModelBackend(ModelBackend):
    """Django's username/password check behind the login throttle (API and admin alike):
    a throttled attempt is refused before the password is hashed."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        attempt = login_throttle.begin(username=username, request=request)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_throttle.succeeded(attempt)
        return user


def live_session_user(request):
    """The user of `request.session` if its row still exists and is unexpired in the database
    and its auth hash still matches (a password change ends it); else AnonymousUser, and a
    session that claimed a user is flushed."""
    session = request.session
    try:
        user_model = get_user_model()
        user_id = user_model._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return AnonymousUser()
    user = None
    if backend_path in settings.AUTHENTICATION_BACKENDS and session.session_key:
        live = Session.objects.filter(session_key=session.session_key, expire_date__gt=timezone.now())
        user = user_model._default_manager.filter(pk=user_id, is_active=True).filter(Exists(live)).first()
    if user is not None and not _session_hash_verified(request, user):
        user = None
    if user is None:
        session.flush()
        return AnonymousUser()
    return user


def _session_hash_verified(request, user) -> bool:
    """Django's check (django.contrib.auth.get_user): the hash stored at login must match the
    user's current one, or one made with a fallback secret key (then it is renewed)."""
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    current = user.get_session_auth_hash()
    if constant_time_compare(session_hash, current):
        return True
    if any(constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = current
        return True
    return False
