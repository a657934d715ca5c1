"""Base of Mastodon command views: bearer token looked up on `default`, as every command view,
and read-your-writes for clients that never send our consistency token back.

Our own clients read their writes by sending a command's X-Consistency-Token with the next
query. Mastodon clients don't know it (Mastodon answers reads from the database it just wrote):
Mastodon.py's own tests post a status and fetch it at once. So a Mastodon command also notes the
events it appended under the session (`session-writes:<token hash>` in the shared cache, the
latest RECENT_WRITES_KEPT pairs for RECENT_WRITES_SECONDS), and the Mastodon query views of the
same session wait for them (bounded by CONSISTENCY_WAIT_SECONDS) as for a token:
socialapp/mastodon/queries/base.py. The header is still sent, for clients that can use it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from socialapp.common.sessions import RECENT_WRITES_KEPT, RECENT_WRITES_SECONDS, recent_writes_key
from socialapp.events.consistency import HEADER, make_token
from socialapp.events.log import capture_events
from socialapp.mastodon.common.views import MastodonView
from socialapp.write.accounts.authentication import BearerTokenAuthentication

log = logging.getLogger(__name__)


class CommandView(MastodonView):
    authentication_classes = [BearerTokenAuthentication]
    # The session whose queries wait for this command's events: the caller's, unless the view
    # names another (registration: the session it just issued, not the app's token).
    writes_for: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with capture_events() as appended:
            response = super().dispatch(request, *args, **kwargs)
        if 200 <= response.status_code < 300 and appended:
            token = make_token(appended)
            if token:
                response[HEADER] = token
            key_hash = self.writes_for or getattr(getattr(self.request, "auth", None), "key_hash", None)
            if key_hash:
                remember_writes(key_hash, [(event.position, event.event_type) for event in appended])
        return response


def remember_writes(key_hash: str, pairs: list[tuple[int, str]]) -> None:
    """Add these events to the session's recent writes (a lost update between two concurrent
    commands of one session costs only the wait for the lost one: never a wrong answer)."""
    key = recent_writes_key(key_hash)
    try:
        kept = [tuple(pair) for pair in cache.get(key) or []]
        cache.set(key, [*kept, *pairs][-RECENT_WRITES_KEPT:], RECENT_WRITES_SECONDS)
    except Exception as exc:  # the command is done; its reader waits on nothing, as without a token
        log.warning("recent writes not recorded: cache unavailable (%s)", type(exc).__name__)
