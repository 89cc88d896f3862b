"""Sessions in Redis, written through to the database, with a sliding expiry.

    SESSION_ENGINE = "sessions_app.engine"

Reads come from Redis; the database (django.contrib.sessions' table) is the
source of truth when Redis misses or is down, and the only judge of whether a
logged-in session still exists (see auth.live_session_user). Every save writes
both. The expiry slides: a session used more than `REFRESH_AFTER` seconds after
its last save is saved again, which pushes its expiry (and its cookie's) to a
full SESSION_COOKIE_AGE from now, at most one database write a minute per
session. Session data is JSON in Redis (never pickled); anything else found
there is ignored.
"""
from __future__ import annotations

import hashlib
import logging
import time

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)

REFRESHED_AT = "_refreshed_at"


class SessionStore(CachedDBStore):
    cache_key_prefix = "session:"
    REFRESH_AFTER = 60

    @property
    def cache_key(self) -> str:
        # The session key is a credential: only its hash goes into a Redis key.
        return self._key_for(self._get_or_create_session_key())

    def load(self) -> dict:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # Redis down or a key it refuses: the database answers
            data = None
        if data is not None and not isinstance(data, dict):
            logger.warning("session cache entry is not a session: ignored")
            data = None
        if data is None:
            row = self._get_session_from_db()
            data = self.decode(row.session_data) if row else {}
            if row:
                self._cache_set(data, self.get_expiry_age(expiry=row.expire_date))
        refreshed_at = data.get(REFRESHED_AT, 0)
        if not isinstance(refreshed_at, int | float) or time.time() - refreshed_at > self.REFRESH_AFTER:
            self.modified = True  # SessionMiddleware saves it: new expiry, new cookie
        return data

    def save(self, must_create: bool = False) -> None:
        self._get_session(no_load=must_create)[REFRESHED_AT] = int(time.time())
        try:
            super().save(must_create)
        except UpdateError:
            # The row is gone (an expired session cleaned up, a logout Redis missed):
            # never bring a login back; an anonymous session starts over under a new key.
            data = {} if SESSION_KEY in self._session else dict(self._session)
            self._session_key = None
            self._session_cache = data
            self.create()

    def _cache_set(self, data: dict, age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, age)
        except Exception:
            logger.warning("session cache unavailable for set()")

    def exists(self, session_key: str) -> bool:
        try:
            if session_key and self._cache.has_key(self._key_for(session_key)):
                return True
        except Exception:  # Redis down: the database answers
            logger.warning("session cache unavailable for exists()")
        return super(CachedDBStore, self).exists(session_key)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super(CachedDBStore, self).delete(session_key)
        if key is None:
            return
        try:
            self._cache.delete(self._key_for(key))
        except Exception:
            # Redis missed it; the session stays refused: its database row is gone.
            logger.warning("session cache unavailable for delete(); the database row is gone")

    def _key_for(self, session_key: str) -> str:
        return self.cache_key_prefix + hashlib.sha256(session_key.encode()).hexdigest()
