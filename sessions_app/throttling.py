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
from dataclasses import dataclass

from django.conf import settings

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
        # Usernames are hashed into keys: never raw user text in a key.
        attempt = LoginAttempt(
            username="u-" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32],
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


login_throttle = LoginThrottle()
