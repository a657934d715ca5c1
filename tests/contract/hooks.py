"""schemathesis hooks for the contract test (tests/contract/test_schemathesis.py): a fresh user
per run, a throwaway user for every request that may end the session it is sent with, and the
opaque values a client can only echo (consistency tokens, cursors) taken from the server.

The `st` CLI loads this module (tests/contract/schemathesis.toml names it). The server's base URL
comes from SOCIALAPP_CONTRACT_URL (the origin: scheme, host and port).

Why fresh users and not a token passed with -H: the fuzzer calls every operation, including those
that end sessions (logout, revoking a session, changing the password, deactivating the account).
With one shared token, the first logout turns every later request into a 401 and hides the rest of
the API from the checks. So the shared session is minted once per run (a new account, a unique
name), and the operations that can end a session are each sent with a throwaway account of their
own (registration answers a token, one request).

Opaque, signed values (socialapp/events/consistency.py, socialapp/common/pagination.py): a
client cannot make a valid consistency token or cursor, it echoes the one the server gave it, so
a random string of the right shape is a request no client can make and the server rightly
refuses (400). On a schema-valid case (the checks expect it accepted) these hooks send what a
real client sends: on a query, the latest consistency token the server issued in this run (a
client reading its own writes: the read models are eventually consistent, docs/api.md); a cursor
only if this operation issued it, dropped otherwise. Schema-violating cases are left as generated.
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

import requests
import schemathesis

API = "/api/socialapp/v1"
# Operations that can end the session they are sent with (or every session of the account).
SESSION_ENDING = {
    ("POST", f"{API}/auth/logout"),
    ("DELETE", f"{API}/auth/sessions/{{session_id}}"),
    ("POST", f"{API}/me/password"),
    ("POST", f"{API}/me/deactivate"),
}
PASSWORD = "contract-test-password-1"


def base_url() -> str:
    return os.environ.get("SOCIALAPP_CONTRACT_URL", "http://127.0.0.1:8011").rstrip("/")


def register() -> str:
    """A new account with a unique name; its bearer token."""
    name = "ct_" + uuid.uuid4().hex[:20]
    response = requests.post(
        f"{base_url()}{API}/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["token"])


@schemathesis.auth(refresh_interval=None)  # no caching by schemathesis: `get` decides per request
class FreshUser:
    """One account for the run; a throwaway one per session-ending request."""

    def __init__(self) -> None:
        self.token: str | None = None

    def get(self, case: Any, context: Any) -> str:
        if (case.method.upper(), case.operation.path) in SESSION_ENDING:
            return register()
        if self.token is None:
            self.token = register()
        return self.token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


TOKEN_HEADER = "X-Consistency-Token"
_lock = threading.Lock()
_latest_token: list[str] = []  # the newest token the server issued in this run (at most one)
_cursors: dict[tuple[str, str], set[str]] = {}  # (method, path template) -> cursors it issued


def _positive(case: Any) -> bool:
    generation = getattr(getattr(case, "meta", None), "generation", None)
    mode = getattr(generation, "mode", None)
    return mode is None or bool(mode.is_positive)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    positive = _positive(case)
    generated_token = any(k.lower() == TOKEN_HEADER.lower() for k in (case.headers or {}))
    # In the stateful phase a query without a generated token gets the latest one whatever the
    # case's mode: without it, a read that follows a DELETE sees the read model before the delete
    # reached it (what a client reading its own writes never does) and use_after_free fails. A
    # generated token is replaced on valid cases only (schema-violating ones keep theirs: it may be
    # what violates the schema); other phases' schema-violating cases are left as generated.
    stateful = (
        str(getattr(getattr(getattr(case, "meta", None), "phase", None), "name", "")).lower().endswith("stateful")
    )
    if not positive and (generated_token or case.method.upper() != "GET" or not stateful):
        return
    key = (case.method.upper(), case.operation.path)
    if case.method.upper() == "GET" or generated_token:  # a query, or the read side's mark-read
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != TOKEN_HEADER.lower()}
        with _lock:
            if _latest_token:
                headers[TOKEN_HEADER] = _latest_token[0]
        case.headers = headers
    if positive and case.query and "cursor" in case.query:
        with _lock:
            issued = case.query["cursor"] in _cursors.get(key, set())
        if not issued:
            case.query = {k: v for k, v in case.query.items() if k != "cursor"}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    token = response.headers.get(TOKEN_HEADER)
    if isinstance(token, list):  # schemathesis' Response keeps header values as lists
        token = token[0] if token else None
    next_cursor = None
    if 200 <= response.status_code < 300 and "json" in str(response.headers.get("Content-Type", "")):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("next"), str):
            next_cursor = body["next"]
    with _lock:
        if token and 200 <= response.status_code < 300:
            _latest_token[:] = [token]
        if next_cursor:
            _cursors.setdefault((case.method.upper(), case.operation.path), set()).add(next_cursor)
