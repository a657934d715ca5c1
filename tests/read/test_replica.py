"""Queries served from a real hot standby of the read database (READ_REPLICA_URLS).

`scripts/services up --replica` (run by `make test`) starts the standby on 127.0.0.1:5433,
streaming from the test server; the test settings define `read_replica_0` as a mirror of `read`
(the test read database reaches the standby by physical replication) and route nothing to it
until a test turns routing on. These tests write in committed transactions (the standby cannot
see an open one) and wait for the standby's replay, never sleep. Without the standby they skip,
unless SOCIALAPP_REQUIRE_REPLICA=1 (set by `make test`), where a missing standby fails them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext

from socialapp.common import replicas
from socialapp.events.consistency import make_token
from socialapp.read.common import consistency
from tests.read.api_support import make_site
from tests.read.conftest import apply_all, reset
from tests.read.test_api import QUERY_URLS
from tests.support import wait_for

REPLICA = "read_replica_0"
# Bound of every wait on the standby's replay. It replays the whole cluster's WAL, other test runs'
# database creations included: on a shared, loaded 2-core machine it was seen a minute behind.
REPLAY_TIMEOUT = 180.0
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read", REPLICA])


def _probe_standby() -> str | None:
    """ "standby" when the alias reaches a server in recovery, else why not; None (poll again) while
    the standby is up but has not replayed the creation of the test read database yet."""
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            in_recovery = cursor.fetchone()[0]
    except DatabaseError as exc:
        if "does not exist" in str(exc):
            return None
        return f"no hot standby at {connection.settings_dict['HOST']}:{connection.settings_dict['PORT']} ({exc})"
    finally:
        connection.close()
    return "standby" if in_recovery else "TEST_READ_REPLICA_URL points at a primary, not a standby"


def _standby_reason() -> str | None:
    """None when the alias reaches a hot standby holding the test read database, else why not."""
    found = wait_for(_probe_standby, timeout=REPLAY_TIMEOUT, what="the standby to replay the test database's creation")
    return None if found == "standby" else found


def caught_up() -> bool:
    """Whether the standby replayed everything the test server had written when this was asked.
    The insert position, not pg_current_wal_lsn(): with synchronous_commit off (scripts/services)
    a commit record can sit in the WAL buffers, past the write position, for a moment."""
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        lsn = cursor.fetchone()[0]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
        return bool(cursor.fetchone()[0])


@pytest.fixture
def replica(settings) -> Iterator[str]:
    """Queries routed to the standby (skip, or fail under `make test`, when it is not running)."""
    reason = _standby_reason()
    if reason:
        if os.environ.get("SOCIALAPP_REQUIRE_REPLICA") == "1":
            pytest.fail(f"SOCIALAPP_REQUIRE_REPLICA=1 but {reason}")
        pytest.skip(f"{reason}: start it with `scripts/services up --replica` (make test does)")
    settings.READ_REPLICAS = [REPLICA]
    replicas.reset()
    wait_for(caught_up, timeout=REPLAY_TIMEOUT, what="the standby to replay the test databases' creation")
    yield REPLICA
    replicas.reset()
    connections[REPLICA].close()


@pytest.fixture
def site(replica):
    reset()
    s = make_site("ann", "bob")
    w, i = s.world, s.ids
    w.follow(i["bob"], i["ann"])
    s.post = w.post(i["ann"], "hello from the primary #django")  # type: ignore[attr-defined]
    w.comment(i["bob"], s.post, "and back")  # type: ignore[attr-defined]
    s.apply()
    wait_for(caught_up, timeout=REPLAY_TIMEOUT, what="the standby to replay the projected read models")
    return s


@contextmanager
def captured(*aliases: str) -> Iterator[dict[str, CaptureQueriesContext]]:
    contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in aliases}
    for context in contexts.values():
        context.__enter__()
    try:
        yield contexts
    finally:
        for context in contexts.values():
            context.__exit__(None, None, None)


def test_a_query_is_served_by_the_standby_alone(site) -> None:
    client = site.client("bob")
    with captured("default", "read", REPLICA) as sql:
        r = client.get(f"/api/socialapp/v1/posts/{site.post}")
    assert r.status_code == 200, r.content
    assert r.json()["body"] == "hello from the primary #django"
    assert sql[REPLICA].captured_queries and sql["read"].captured_queries == []
    assert sql["default"].captured_queries == []
    with connections[REPLICA].cursor() as cursor:  # the alias really is the standby
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True


def test_no_sql_reaches_default_or_the_primary_with_a_replica(site) -> None:
    client = site.client("bob")
    urls = [*QUERY_URLS, f"/api/socialapp/v1/posts/{site.post}", f"/api/socialapp/v1/posts/{site.post}/comments"]
    for url in urls:
        with captured("default", "read", REPLICA) as sql:
            r = client.get(url)
        assert r.status_code == 200, (url, r.content)
        assert sql["default"].captured_queries == [], url
        assert sql["read"].captured_queries == [], url
        assert sql[REPLICA].captured_queries, url
        assert "X-Read-Lag" in r


def test_a_consistency_token_waits_until_the_standby_has_the_effect(site, settings) -> None:
    """The projector applies on the primary only once the request is already waiting on the
    standby; the answer comes once replay brought the effect there, and has it."""
    settings.CONSISTENCY_WAIT_SECONDS = REPLAY_TIMEOUT
    w, i = site.world, site.ids
    pid = w.post(i["ann"], "fresh, after the token")
    event = w.events[-1]
    token = make_token([SimpleNamespace(position=event.position, event_type=event.event_type)])
    polled_on: list[str] = []
    waiting = threading.Event()
    original = consistency.applied

    def watched(*args, **kwargs):
        polled_on.append(replicas.query_alias())
        waiting.set()
        return original(*args, **kwargs)

    def project_later() -> None:
        try:
            assert waiting.wait(REPLAY_TIMEOUT)
            apply_all([event])
        finally:
            connections.close_all()

    writer = threading.Thread(target=project_later)
    consistency.applied = watched  # type: ignore[assignment]
    try:
        writer.start()
        with captured("read", REPLICA) as sql:
            r = site.client("ann").get(f"/api/socialapp/v1/posts/{pid}", HTTP_X_CONSISTENCY_TOKEN=token)
    finally:
        consistency.applied = original  # type: ignore[assignment]
        writer.join()
    assert r.status_code == 200, r.content
    assert r["X-Consistency-Satisfied"] == "true"
    assert r.json()["body"] == "fresh, after the token"
    assert len(polled_on) >= 2 and set(polled_on) == {REPLICA}  # waited, and on the standby
    assert sql["read"].captured_queries == []
    assert any("projection_applied_event" in q["sql"] for q in sql[REPLICA].captured_queries)


def test_read_lag_is_sampled_on_the_standby_that_serves(site) -> None:
    from socialapp.read.common import lag

    with captured("read", REPLICA) as sql:
        lag.measure(["posts"], using=REPLICA)
    assert sql["read"].captured_queries == []  # what the standby has applied, not the primary
    assert any("projection_applied_event" in q["sql"] for q in sql[REPLICA].captured_queries)
    client = site.client("bob")
    wait_for(
        lambda: client.get(f"/api/socialapp/v1/posts/{site.post}")["X-Read-Lag"] != "unknown",
        timeout=60,
        what="a lag sample of the standby",
    )
    assert (REPLICA, frozenset({"posts", "relations"})) in lag._sampler.values


def test_nothing_writes_through_the_replica_alias(replica) -> None:
    """The standby refuses writes itself; our helpers never try."""
    from socialapp.read.common.sql import execute

    with pytest.raises(ValueError, match="replica"):
        execute("DELETE FROM projection_applied_event", using=REPLICA)
    with pytest.raises(DatabaseError, match="read-only"), connections[REPLICA].cursor() as cursor:
        cursor.execute("DELETE FROM projection_applied_event")


def test_mark_read_writes_and_reads_back_on_the_primary(site) -> None:
    with captured("read", REPLICA) as sql:
        r = site.client("ann").post("/api/socialapp/v1/notifications/read", {}, format="json")
    assert r.status_code == 200, r.content
    assert sql[REPLICA].captured_queries == [] and sql["read"].captured_queries


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def replica_down(*, keep_connection: bool = False) -> Iterator[None]:
    """The alias points at a port nothing listens on (connection refused), then back."""
    connection = connections[REPLICA]
    port = connection.settings_dict["PORT"]
    if not keep_connection:
        connection.close()
    connection.settings_dict["PORT"] = _closed_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def test_a_replica_that_is_down_falls_back_to_the_primary_and_is_reported(site, settings) -> None:
    settings.READINESS_CHECKS = ["postgres_read", "cache"]
    client = site.client("bob")
    url = f"/api/socialapp/v1/posts/{site.post}"
    with replica_down():
        with captured("read") as sql:
            r = client.get(url)
        assert r.status_code == 200 and r.json()["body"] == "hello from the primary #django"
        assert sql["read"].captured_queries  # served by the primary
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.content  # optional: the primary serves meanwhile
        assert ready.json()["checks"][f"postgres_{REPLICA}"] == {"status": "down", "optional": True}
        assert replicas.pick() == "read"  # out of rotation: no connect attempt per request
    with captured("read", REPLICA) as sql:
        client.get(url)
    assert sql[REPLICA].captured_queries == []  # still skipped within READ_REPLICA_RETRY_SECONDS
    replicas.reset()
    with captured("read", REPLICA) as sql:
        assert client.get(url).status_code == 200
    assert sql[REPLICA].captured_queries and sql["read"].captured_queries == []
    check = client.get("/readyz").json()["checks"][f"postgres_{REPLICA}"]
    assert check["status"] == "up" and check["optional"] is True


def test_an_evicted_feed_is_regenerated_on_the_primary_and_read_back_from_it(site) -> None:
    """The feed view's regeneration locks and writes `read` (never the standby), then the same
    request reads its own write from the primary: the standby may not have replayed it yet."""
    from socialapp.read.feeds import maintenance

    assert maintenance.evict([site.ids["bob"]]) > 0
    wait_for(caught_up, timeout=REPLAY_TIMEOUT, what="the standby to replay the eviction")
    with captured("read", REPLICA) as sql:
        r = site.client("bob").get("/api/socialapp/v1/feed")
    assert r.status_code == 200, r.content
    assert [p["id"] for p in r.json()["results"]] == [str(site.post)]
    assert sql[REPLICA].captured_queries  # the first look, on the standby
    assert any("FOR UPDATE" in q["sql"] for q in sql["read"].captured_queries)
    assert not any("FOR UPDATE" in q["sql"] or "INSERT" in q["sql"] for q in sql[REPLICA].captured_queries)


def test_a_kept_connection_to_a_replica_that_died_is_noticed_before_a_request_is_pinned(replica) -> None:
    """Production keeps connections between requests (CONN_MAX_AGE): a replica that went away
    since leaves one that looks open. The pick health-checks it, so the request falls back
    instead of being pinned to a dead server and failing on its first query."""
    kept = connections[REPLICA]
    kept.ensure_connection()
    pid = kept.connection.info.backend_pid
    killer = connections.create_connection(REPLICA)
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()
    with replica_down(keep_connection=True):
        kept.health_check_done = False  # what Django's request_started does for each request
        assert replicas.pick() == "read"
