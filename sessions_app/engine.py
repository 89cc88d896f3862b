"""Sessions in Redis, written through to the database, with a sliding expiry.

    SESSION_ENGINE = "sessions_app.engine"

Reads come from Redis; the database (django.contrib.sessions' table) is the
source of truth when Redis misses or is down. Every save writes both. The
expiry slides: a session used more than `REFRESH_AFTER` seconds after its last
save is saved again, which pushes its expiry (and its cookie's) to a full
SESSION_COOKIE_AGE from now, at most one database write a minute per session.
"""
from __future__ import annotations

import hashlib
import logging
import time

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)

REFRESHED_AT = "_refreshed_at"


class SessionStore(CachedDBStore):
    cache_key_prefix = "session:"
    REFRESH_AFTER = 60

    @property
    def cache_key(self) -> str:
        # The session key is a credential: only its hash goes into a Redis key.
        return self.cache_key_prefix + hashlib.sha256(self._get_or_create_session_key().encode()).hexdigest()

    def load(self) -> dict:
        data = super().load()
        if data and time.time() - data.get(REFRESHED_AT, 0) > self.REFRESH_AFTER:
            self.modified = True  # SessionMiddleware saves it: new expiry, new cookie
        return data

    def save(self, must_create: bool = False) -> None:
        self._get_session(no_load=must_create)[REFRESHED_AT] = int(time.time())
        super().save(must_create)

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
            logger.warning("session cache unavailable for delete(); the database row is gone")

    def _key_for(self, session_key: str) -> str:
        return self.cache_key_prefix + hashlib.sha256(session_key.encode()).hexdigest()
