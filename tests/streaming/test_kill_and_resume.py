"""Kill the streaming process while clients are connected: they reconnect and, following the
documented resume (docs/streaming.md, "Resume after a disconnect"), end up with every post
exactly once, on our API and through Mastodon.py.

The resume, as a client does it:
1. keep the id of the last post received and the `consistency_token` of the last event;
2. on a dropped connection, connect again (retrying until the server answers);
3. once the stream is open again (subscribed: anything committed from now on is pushed), read
   the feed since that id, `GET /api/socialapp/v1/feed?since=<id>` with
   `X-Consistency-Token: <token>` (Mastodon clients: `GET /api/v1/timelines/home?min_id=<id>` or
   `since_id=<id>`), following `next` to the end;
4. merge page and stream by post id: a post committed between the reconnect and the page read
   is in both, and kept once.
Every post committed before the page read is in the page, every one committed after the
subscription is pushed, and the subscription comes first: nothing falls between.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from socialapp.write.accounts.services import token_issue
from tests.mastodon.clients import PASSWORD, client, make_user, registered_app
from tests.streaming import live as _live
from tests.streaming.live import Collector, EventStream, LiveStreaming, probe_until

live_stack, live_streaming = _live.live_stack, _live.live_streaming  # the fixtures, for this module

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]
PAGE = 20


def _post_of(data: Any) -> dict[str, Any]:
    """The post an `update` event of our stream carries (the post itself, or under `post`)."""
    return data.get("post", data) if isinstance(data, dict) else {}


def _token_of(event: Any) -> str | None:
    data = event.data if isinstance(event.data, dict) else {}
    return data.get("consistency_token") or event.id


class ResumingReader:
    """One reader of our stream, resuming as the module docstring says; `timeline` is every post
    id it holds, in the order it learnt of them (stream or page), each once."""

    def __init__(self, live: LiveStreaming, token: str) -> None:
        self.live = live
        self.auth = {"Authorization": f"Bearer {token}"}
        self.timeline: list[int] = []
        self.pushed_per_connection: dict[int, list[int]] = {}
        self.last_post: int | None = None
        self.last_token: str | None = None
        self.resumes = 0
        self._lock = threading.RLock()  # the stream's thread resumes, the test's thread pumps
        self.stream = EventStream(f"{live.streaming_url}/api/socialapp/v1/stream?stream=user", headers=self.auth)
        self.stream.on_connect = self._connected
        self._seen_events = 0

    def start(self) -> ResumingReader:
        self.stream.start()
        return self

    def _connected(self, stream: EventStream) -> None:
        if stream.connections > 1:  # a reconnect: read what was committed while we were away
            self.resume()

    def pump(self) -> None:
        """Take the events received since the last call (a client's event loop)."""
        with self._lock:
            self._pump()

    def _pump(self) -> None:
        with self.stream._lock:
            new = self.stream.events[self._seen_events :]
            self._seen_events = len(self.stream.events)
            connection = self.stream.connections
        for event in new:
            token = _token_of(event)
            if token:
                self.last_token = token
            if event.name != "update":
                continue
            post_id = int(_post_of(event.data)["id"])
            self.pushed_per_connection.setdefault(connection, []).append(post_id)
            self._keep(post_id)

    def _keep(self, post_id: int) -> None:
        with self._lock:
            if post_id not in self.timeline:
                self.timeline.append(post_id)
            self.last_post = max(self.last_post or 0, post_id)

    def resume(self) -> None:
        with self._lock:
            self._resume()

    def _resume(self) -> None:
        self._pump()
        headers = dict(self.auth)
        if self.last_token:
            headers["X-Consistency-Token"] = self.last_token
        params: dict[str, Any] = {"limit": PAGE}
        if self.last_post is not None:
            params["since"] = self.last_post
        url = f"{self.live.url}/api/socialapp/v1/feed"
        found: list[int] = []
        while True:
            page = requests.get(url, params=params, headers=headers, timeout=30)
            assert page.status_code == 200, page.text
            body = page.json()
            found += [int(p["id"]) for p in body["results"]]
            if not body.get("next"):
                break
            params["cursor"] = body["next"]
        for post_id in sorted(found):
            self._keep(post_id)
        self.resumes += 1


def _post(live: LiveStreaming, token: str, body: str) -> int:
    created = requests.post(
        f"{live.url}/api/socialapp/v1/posts",
        json={"body": body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _follow(live: LiveStreaming, token: str, username: str) -> None:
    answer = requests.put(
        f"{live.url}/api/socialapp/v1/users/{username}/follow",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code in (200, 201, 204), answer.text


def test_our_stream_survives_a_killed_server_and_resumes_with_every_post_once(live_streaming) -> None:
    live = live_streaming
    bob = make_user("bob")
    readers_users = [make_user("ann"), make_user("cat")]
    bob_token = token_issue(user=bob)
    readers = []
    for user in readers_users:
        token = token_issue(user=user)
        _follow(live, token, "bob")
        readers.append(ResumingReader(live, token).start())

    def all_got_one() -> bool:
        for reader in readers:
            reader.pump()
        return all(reader.timeline for reader in readers)

    probes = probe_until(
        live, lambda n: _post(live, bob_token, f"probe {n}"), all_got_one, what="both streams subscribed"
    )
    # From here on every post must reach both readers, once.
    before = [_post(live, bob_token, f"live {n}") for n in range(3)]
    live.wait(lambda: all_got_one() and all(set(before) <= set(r.timeline) for r in readers), what="live posts")

    live.server.kill()  # SIGKILL: no goodbye to the clients, the broker drops its queue
    during = [_post(live, bob_token, f"while down {n}") for n in range(5)]
    live.server.restart()
    live.wait(lambda: all(r.stream.connections >= 2 and r.resumes >= 1 for r in readers), what="reconnected")
    after = [_post(live, bob_token, f"after {n}") for n in range(3)]

    expected = set(before + during + after)
    live.wait(
        lambda: all_got_one() and all(expected <= set(r.timeline) for r in readers),
        what="every post on each reader after the resume",
    )
    for reader in readers:
        assert len(reader.timeline) == len(set(reader.timeline)), "a post held twice"
        assert set(reader.timeline) <= expected | set(probes), "a post not bob's"
        for connection, pushed in reader.pushed_per_connection.items():
            assert len(pushed) == len(set(pushed)), f"connection {connection} got a post twice: {pushed}"
        # the posts after the restart came by push on the new connection
        assert set(after) <= set(reader.pushed_per_connection.get(reader.stream.connections, []))
        reader.stream.close()


def test_mastodon_py_clients_resume_with_min_id_and_since_id_after_a_killed_server(live_streaming) -> None:
    live = live_streaming
    for name in ("alice", "bob", "cat"):
        make_user(name)
    app = registered_app(live.url)
    apis = {}
    for name in ("alice", "bob", "cat"):
        apis[name] = client(live.url, app)
        apis[name].log_in(username=name, password=PASSWORD, allow_http=True)
    bob = apis["bob"]
    bob_id = apis["alice"].account_lookup("bob").id
    for name in ("alice", "cat"):
        apis[name].account_follow(bob_id)
        live.wait(lambda n=name: apis[n].account_relationships([bob_id])[0].following, what=f"{name} follows")

    collectors = {name: Collector() for name in ("alice", "cat")}
    handles = {
        name: apis[name].stream_user(collectors[name], run_async=True, reconnect_async=True, reconnect_async_wait_sec=1)
        for name in collectors
    }
    try:
        probe_until(
            live,
            lambda n: int(bob.status_post(f"probe {n}").id),
            lambda: all(c.of("update") for c in collectors.values()),
            what="both Mastodon.py streams subscribed",
        )
        before = [bob.status_post(f"live {n}").id for n in range(3)]
        live.wait(lambda: all(set(before) <= {s.id for s in c.of("update")} for c in collectors.values()), what="live")
        connections = {name: handle.connection for name, handle in handles.items()}
        last_seen = {name: max(int(s.id) for s in c.of("update")) for name, c in collectors.items()}

        live.server.kill()
        during = [bob.status_post(f"while down {n}").id for n in range(5)]
        live.server.restart()
        live.wait(
            lambda: all(h.connection is not connections[n] and not h.reconnecting for n, h in handles.items()),
            what="Mastodon.py reconnected by itself",
        )
        # The resume: alice reads up from min_id (oldest first), cat down to since_id (newest first).
        paged = {
            "alice": _page(lambda **kw: apis["alice"].timeline_home(min_id=last_seen["alice"], **kw)),
            "cat": _page(lambda **kw: apis["cat"].timeline_home(since_id=last_seen["cat"], **kw)),
        }
        after = [bob.status_post(f"after {n}").id for n in range(3)]
        expected = {*before, *during, *after}

        def merged(name: str) -> list[str]:
            seen: list[str] = []
            for status_id in [*(s.id for s in collectors[name].of("update")), *paged[name]]:
                if status_id not in seen:
                    seen.append(status_id)
            return seen

        live.wait(lambda: all(expected <= set(merged(n)) for n in collectors), what="every post, stream + page")
        for name in collectors:
            assert len(merged(name)) == len(set(merged(name)))
            assert set(after) <= {s.id for s in collectors[name].of("update")}, "after the restart: pushed"
            assert set(during) <= set(paged[name]) | {s.id for s in collectors[name].of("update")}
    finally:
        for handle in handles.values():
            handle.close()


def _page(fetch) -> list[str]:
    """A Mastodon.py home timeline page from the resume point; fewer than PAGE statuses were
    posted meanwhile, so one page holds them all (the test asserts it)."""
    page = fetch(limit=PAGE)
    assert len(page) < PAGE
    return [s.id for s in page]
