"""Which database errors mean "try again shortly" (503) rather than a bug (500)."""
from __future__ import annotations

from django.db import InterfaceError, OperationalError

# MySQL/MariaDB client and server codes for an unreachable, restarting or
# overloaded server, a lost connection, a lock wait timeout and a deadlock.
_MYSQL_TRANSIENT = {1040, 1053, 1205, 1213, 1927, 2002, 2003, 2005, 2006, 2013, 2055, 4031}
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "unable to open database file",
                     "disk i/o error")

RETRY_AFTER_SECONDS = 2


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True for a database that is down, unreachable, or busy (locks): the request may be
    retried. Other database errors (a wrong column, a constraint) are bugs."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = exc.args[0] if exc.args else None
    if isinstance(code, int):
        return code in _MYSQL_TRANSIENT
    message = str(exc).lower()
    return any(fragment in message for fragment in _SQLITE_TRANSIENT)
