"""The privacy matrix of the streams: what every viewer's user, public and hashtag streams deliver,
in both APIs (Mastodon's SSE and ours), held to the oracle (tests/privacy/oracle.py) in the
contexts the streams apply: STREAM for the user stream's home updates, NOTIFICATIONS for its
notifications, PUBLIC and TAG (docs/privacy.md, "Streams").

A real streaming server (devkit.streaming, a uvicorn child process on this run's databases,
vhost and session cache) serves one stream per viewer, API and kind, opened after the world's
relations are applied and before its statuses are (tests/privacy/stream_world.py); the
statuses, likes and answers are then applied through the projectors in this process, whose
pushes go out after each commit. The world's last event is the fence's post, which every stream
receives; a stream is read until then.

As in the matrix, a failure is a LEAK (delivered though the rule hides it, or not this
stream's to deliver) or a MISS (the stream's selection and allowed, but not delivered), named by
viewer, relation, visibility, status kind and stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson
import pytest
from django.test.utils import override_settings

from devkit.processes import child_env, wait_for
from devkit.streaming import start_streaming_server
from socialapp.read.push import publisher
from tests.privacy.relations import RELATIONS
from tests.privacy.stream_world import FENCE, build_streamed
from tests.privacy.test_matrix import Endpoint, Findings, _home, _notified
from tests.privacy.world_site import TAG, MatrixWorld, tear_down
from tests.streaming.conftest import ENV, Stream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(databases=["default", "read"])]

MASTODON = "mastodon"
OURS = "ours"


@dataclass(frozen=True)
class Kind:
    """One stream as a viewer opens it, and what the matrix expects of it."""

    name: str  # user, public, hashtag
    context: str  # the oracle's context of its statuses
    signed_in: bool = False

    def url(self, api: str) -> tuple[str, dict[str, str]]:
        if api == MASTODON:
            params = {"tag": TAG} if self.name == "hashtag" else {}
            return f"/api/v1/streaming/{self.name}", params
        return "/api/socialapp/v1/stream", {"stream": self.name, **({"tag": TAG} if self.name == "hashtag" else {})}


KINDS = [Kind("user", "stream", signed_in=True), Kind("public", "public"), Kind("hashtag", "tag")]
APIS = [MASTODON, OURS]


@dataclass
class Streamed:
    mw: MatrixWorld
    fence: int
    fence_post: int
    received: dict[tuple[str, str, str], list[dict[str, str]]]  # (relation, kind, api) -> events


def _status_id(api: str, event: dict[str, str]) -> int:
    """The status an `update` event carries: Mastodon's Status, or our {"post": ...}."""
    data = orjson.loads(event["data"])
    return int(data["id"] if api == MASTODON else data["post"]["id"])


def _notified_ids(api: str, event: dict[str, str]) -> list[int]:
    """The statuses a notification event is about, as the list matrix reads them."""
    data = orjson.loads(event["data"])
    if api == MASTODON:
        return [int(data["status"]["id"])] if data.get("status") else []
    n = data["notification"]
    return [int(n[k]) for k in ("post_id", "comment_id") if n.get(k)]


def _open(mw: MatrixWorld, server_url: str) -> dict[tuple[str, str, str], Stream]:
    opened = {}
    for relation, facts in RELATIONS.items():
        for kind in KINDS:
            if kind.signed_in and facts.anonymous:
                continue
            for api in APIS:
                path, params = kind.url(api)
                token = mw.tokens.get(relation)
                stream = Stream(server_url + path, token=token, params=params)
                assert stream.status == 200, (relation, kind.name, api, stream.status, stream.response.text[:300])
                opened[(relation, kind.name, api)] = stream
    return opened


@pytest.fixture(scope="module")
def streamed(django_db_setup, django_db_blocker) -> Iterator[Streamed]:
    server = start_streaming_server(env=child_env(**ENV))
    streams: dict[tuple[str, str, str], Stream] = {}
    try:
        with django_db_blocker.unblock(), override_settings(STREAMING_PUSH=True):
            try:

                def open_streams(mw: MatrixWorld) -> None:
                    streams.update(_open(mw, server.url))

                mw, fence, fence_post = build_streamed(open_streams)

                def fenced(key: tuple[str, str, str]) -> bool:
                    api = key[2]
                    return any(_status_id(api, e) == fence_post for e in streams[key].named("update"))

                wait_for(
                    lambda: all(fenced(k) for k in streams),
                    timeout=60,
                    what="the fence on every stream: " + ", ".join(map(str, [k for k in streams if not fenced(k)][:5])),
                )
                received = {key: list(stream.events) for key, stream in streams.items()}
                yield Streamed(mw, fence, fence_post, received)
            finally:
                for stream in streams.values():
                    stream.close()
                tear_down()
                from django.contrib.auth import get_user_model

                get_user_model().objects.filter(username=FENCE).delete()
    finally:
        server.stop()
        publisher.close()


def _expected(kind: Kind, notifications: bool) -> tuple[str, Callable[[MatrixWorld, str], set[int]]]:
    """(oracle context, the stream's selection before the rule)."""
    if notifications:
        return "notifications", lambda mw, r: _notified(mw, r, None)
    if kind.name == "user":
        return kind.context, lambda mw, r: _home(mw, r, None)
    return kind.context, lambda mw, r: set(mw.posts)  # a listing stream selects every post


def _check(s: Streamed, relation: str, kind: Kind, api: str, notifications: bool) -> Findings:
    mw, findings = s.mw, Findings()
    events = s.received[(relation, kind.name, api)]
    if notifications:
        found = [sid for e in events if e.get("event") == "notification" for sid in _notified_ids(api, e)]
    else:
        found = [_status_id(api, e) for e in events if e.get("event") == "update"]
    every = {*mw.posts, *mw.comments}
    stray = [sid for sid in found if sid not in every and sid != s.fence_post]
    assert not stray, f"{relation} {kind.name} ({api}): statuses from outside the world {stray}"
    if not notifications:
        twice = {sid for sid in found if found.count(sid) > 1}
        assert not twice, f"{relation} {kind.name} ({api}): pushed twice {twice}"
    context, members_of = _expected(kind, notifications)
    members = members_of(mw, relation)
    label = f"{kind.name} stream ({api}){' notifications' if notifications else ''}"
    case = Endpoint(label, "", context, lambda mw, t: ("", {}), lambda body: [], lambda mw, r, t: members, exact=True)
    for sid in sorted(every):
        allowed, got = mw.sees(relation, sid, context), sid in found
        findings.checked += 1
        if got and not allowed:
            findings.add(mw, "LEAK", case, relation, sid, " (the rule hides it)")
        elif got and sid not in members:
            findings.add(mw, "LEAK", case, relation, sid, " (not this stream's to deliver to this viewer)")
        elif not got and allowed and sid in members:
            findings.add(mw, "MISS", case, relation, sid, " (selected and allowed, but not delivered)")
    return findings


CASES = [
    (relation, kind, api, notifications)
    for relation, facts in RELATIONS.items()
    for kind in KINDS
    if not (kind.signed_in and facts.anonymous)
    for api in APIS
    for notifications in ((False, True) if kind.name == "user" else (False,))
]


@pytest.mark.parametrize(
    ("relation", "kind", "api", "notifications"),
    CASES,
    ids=[f"{r}-{k.name}{'-notifications' if n else ''}-{a}" for r, k, a, n in CASES],
)
def test_stream_matrix(streamed: Streamed, relation: str, kind: Kind, api: str, notifications: bool) -> None:
    findings = _check(streamed, relation, kind, api, notifications)
    assert findings.checked
    assert not findings.lines, "\n".join(findings.lines)


def test_the_stream_contexts_are_the_lists_own() -> None:
    """STREAM is an "on purpose" context that a mute hides, as HOME is: the user stream's updates
    are held to the same column of docs/privacy.md as the home feed's."""
    from tests.privacy import oracle

    for facts in RELATIONS.values():
        for visibility in oracle.VISIBILITIES:
            for addressed in (False, True):
                assert oracle.sees(facts, visibility, "stream", addressed=addressed) == oracle.sees(
                    facts, visibility, "home", addressed=addressed
                )


def test_the_harness_saw_the_world(streamed: Streamed) -> None:
    """The matrix would pass vacuously on streams that deliver nothing but the fence: the
    follower's user streams carry the author's posts, the author's its notifications, and the
    anonymous public streams the public posts."""
    fence = streamed.fence_post
    for api in APIS:
        follower = streamed.received[("follower", "user", api)]
        assert {_status_id(api, e) for e in follower if e.get("event") == "update"} - {fence}
        assert [e for e in streamed.received[("author", "user", api)] if e.get("event") == "notification"]
        public = streamed.received[("anonymous", "public", api)]
        assert {_status_id(api, e) for e in public if e.get("event") == "update"} - {fence}
