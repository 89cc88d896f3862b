"""Session authentication that checks CSRF on every unsafe request, anonymous ones included.

DRF's SessionAuthentication checks CSRF only for logged-in users. Anonymous
carts are tied to the session cookie too, so a cross-site form could change
them: we check CSRF for every POST/PATCH/PUT/DELETE.
"""
from rest_framework.authentication import SessionAuthentication

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class CsrfSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        if request.method not in SAFE_METHODS:
            self.enforce_csrf(request)
        return super().authenticate(request)
