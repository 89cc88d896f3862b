"""Login throttling: failed logins counted per username and per client address.

Each attempt is counted before the password is checked (so a burst of parallel
guesses is counted as it arrives, and a throttled guess costs no hashing); a
successful login takes its attempt back. Counts live in Redis through
`caching.counters`, with an in-process fallback, so a Redis outage neither
disables the limit nor locks anyone out.
"""
from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model

from caching.counters import WindowCounter
from shop.client_address import client_address
from shop.exceptions import TooManyRequests


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    address: str


class LoginThrottle:
    counter = WindowCounter("throttle:login")

    def begin(self, *, username: str, request) -> LoginAttempt:
        """Count an attempt; TooManyRequests when the username or the address is over its limit."""
        limits = settings.LOGIN_THROTTLE
        window = limits["WINDOW_SECONDS"]
        attempt = LoginAttempt(
            username=_username_key(username),
            address="a-" + hashlib.sha256(client_address(request).encode()).hexdigest()[:32] if request else "a-none",
        )
        waits = []
        for name, limit in ((attempt.username, limits["PER_USERNAME"]), (attempt.address, limits["PER_ADDRESS"])):
            count, left = self.counter.hit(name, window=window)
            if count > limit:
                waits.append(left)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise TooManyRequests(f"Too many login attempts. Try again in {retry_after} seconds.",
                                  retry_after=retry_after)
        return attempt

    def succeeded(self, attempt: LoginAttempt) -> None:
        """A right password: the username starts over, and the address gets its attempt back."""
        self.counter.reset(attempt.username)
        self.counter.hit(attempt.address, window=settings.LOGIN_THROTTLE["WINDOW_SECONDS"], amount=-1)


def _username_key(username: str) -> str:
    """One counter per account, however its name is spelled: the database's collation decides
    which spellings log into which user ("ALICE", "alícé"...), so the user it finds is the
    key. A name of no user is folded (case, accents) and hashed: never raw user text in a key."""
    user_model = get_user_model()
    pk = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).values_list(
        "pk", flat=True).first()
    if pk is not None:
        return f"user-{pk}"
    folded = "".join(c for c in unicodedata.normalize("NFKD", username.strip()) if not unicodedata.combining(c))
    return "name-" + hashlib.sha256(folded.casefold().encode()).hexdigest()[:32]


login_throttle = LoginThrottle()
