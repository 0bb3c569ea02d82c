"""Sessions kept in the database and read from Redis, with an idle timeout that costs no write on
most requests.

SESSION_ENGINE = "core.sessions" (with Redis): every session is a row in the database, and for two
renewal intervals after each write also an entry in the cache. A page reads the cache and only
on a miss the database; a write goes to both. When Redis cannot be reached, reads and writes go to
the database alone, so a Redis outage or restart logs nobody out (Django's cached_db engine would
raise on most of those cache calls).

SESSION_COOKIE_AGE is the idle timeout. Django's SESSION_SAVE_EVERY_REQUEST keeps it by writing the
session (and re-sending the cookie) on every request. Here an unchanged session is written again
only when its last write is more than SESSION_RENEW_INTERVAL seconds old, so the idle timeout
holds to within that interval (30 minutes becomes 30 to 31) and a candidate clicking through the
wizard costs one Redis read per page, and one database UPDATE a minute."""
import logging
import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import (
    SessionMiddleware as DjangoSessionMiddleware,
)
from django.core.cache import caches

from .cache import UNREACHABLE

logger = logging.getLogger(__name__)

RENEWED_KEY = "_renewed_at"
CACHE_KEY_PREFIX = "core.sessions:"


class SessionStore(DBStore):
    """The database holds every session; the cache holds a copy for 2 × SESSION_RENEW_INTERVAL.

    An active session is renewed before its copy expires. The copy is short so that what Redis
    missed while it was unreachable (a logout, a wizard step written to the database alone) cannot
    be hidden behind an older copy it kept for longer than that once it answers again."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self.cache = caches[settings.SESSION_CACHE_ALIAS]
        self.cache_unreachable = False  # one failed call is enough for this request

    @staticmethod
    def cache_timeout() -> int:
        return min(2 * settings.SESSION_RENEW_INTERVAL, settings.SESSION_COOKIE_AGE)

    def _cached(self, operation, *args):
        """The cache call's answer, or None when Redis cannot be reached (logged once per request)."""
        if self.cache_unreachable:
            return None
        try:
            return operation(*args)
        except UNREACHABLE as exc:
            self.cache_unreachable = True
            logger.warning("session cache unreachable, using the database", extra={"error": str(exc)[:200]})
            return None

    def load(self):
        key = self.session_key
        data = self._cached(self.cache.get, CACHE_KEY_PREFIX + key) if key else None
        if data is None:
            data = super().load()  # {} for an unknown or expired key, which it then forgets
            if data and self.session_key:
                self._cached(self.cache.set, CACHE_KEY_PREFIX + self.session_key, data, self.cache_timeout())
        return data

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()  # which comes back here with a new key and must_create
        super().save(must_create)  # the database first: it is the record
        self._cached(self.cache.set, CACHE_KEY_PREFIX + self.session_key, dict(self.items()), self.cache_timeout())

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        super().delete(session_key)
        if session_key:
            self._cached(self.cache.delete, CACHE_KEY_PREFIX + session_key)


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and session.accessed and session.session_key and not session.is_empty():
            now = int(time.time())
            if session.modified or now - session.get(RENEWED_KEY, 0) >= settings.SESSION_RENEW_INTERVAL:
                session[RENEWED_KEY] = now
        return super().process_response(request, response)
