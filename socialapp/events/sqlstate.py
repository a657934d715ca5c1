"""SQLSTATE codes of database errors: the worker classifies failures by them, and the rebuild's
switch retries on a lock timeout. Below both (no imports of the projector or the rebuild)."""

from __future__ import annotations

LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (Django wraps the driver's exception as its cause)."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if code:
            return str(code)
        seen = seen.__cause__
    return None
