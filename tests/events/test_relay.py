"""The relay in-process against the real broker: every event is published (what no projector
queue is bound for lands in `events.unrouted`); a queue that disappeared is declared again before
publishing; a row the broker refuses backs off on its own and never stalls the rows behind it."""

import io
import logging
import uuid
from contextlib import closing

import pytest
from django.core.management import call_command
from django.db import transaction

from socialapp.events import metrics
from socialapp.events.log import append_event
from socialapp.events.models import Event, OutboxEntry, PublishFailure
from socialapp.events.projector import REGISTRY
from socialapp.events.relay import Relay
from socialapp.events.topology import EVENTS_EXCHANGE, UNROUTED_QUEUE, broker_connection, queue_name
from tests.events.helpers import append_probe_events
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


@pytest.fixture
def only_probe(probe_tables, monkeypatch):
    """The probe as the only subscriber: other projectors' queues (declared by earlier tests in
    this vhost) would otherwise route the message."""
    with broker_connection() as connection:
        for name in list(REGISTRY):
            if name != "probe":
                monkeypatch.delitem(REGISTRY, name)
                connection.default_channel.queue_delete(queue_name(name))


def test_rows_locked_by_another_relay_are_skipped_not_published_twice(only_probe):
    from django.db import connections

    events = append_probe_events(30, per_transaction=30)
    other = connections.create_connection("default")  # a second relay, mid-batch on the first 10 rows
    relay = Relay()
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT position FROM event_outbox ORDER BY position LIMIT 10 FOR UPDATE SKIP LOCKED")
            held = {row[0] for row in cursor.fetchall()}
            assert relay.publish_pending() == 20  # takes only the rows nobody holds
            cursor.execute("ROLLBACK")
        assert set(OutboxEntry.objects.values_list("position", flat=True)) == held
        assert relay.publish_pending() == 10  # released: now they are published, once
    finally:
        relay.close()
        other.close()
    with broker_connection() as connection:
        channel = connection.default_channel
        ids = []
        while (message := channel.basic_get(queue_name("probe"), no_ack=True)) is not None:
            ids.append(message.properties["message_id"])
    assert sorted(ids) == sorted(str(e.event_id) for e in events)


def _drain(queue: str) -> list[str]:
    """Message ids in `queue`, consumed."""
    with broker_connection() as connection:
        channel = connection.default_channel
        ids = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            ids.append(message.properties["message_id"])
    return ids


def _append(event_type: str, count: int = 1) -> list[Event]:
    """Events of `event_type`, each of a fresh aggregate (version 2 for edits: order is irrelevant here)."""
    out = []
    for _ in range(count):
        with transaction.atomic():
            out.append(
                append_event(
                    event_type=event_type,
                    aggregate_type="post" if event_type.startswith("post.") else "user",
                    aggregate_id=f"relay-{uuid.uuid4().hex[:12]}",
                    aggregate_version=1 if event_type.endswith(("created", "registered")) else 2,
                    payload={"value": "x"},
                )
            )
    return out


def _one_pass() -> int:
    """What one pass of a fresh relay publishes (the relay closed afterwards)."""
    with closing(Relay()) as relay:
        return relay.publish_pending()


def test_an_event_no_projector_handles_is_published_into_events_unrouted(only_probe):
    """The relay used to mark such rows published without sending them: a differently configured
    process (a rolling deploy) lost them silently."""
    unhandled = _append("user.registered")[0]  # the probe handles post.* only
    handled = append_probe_events(1)[0]
    assert _one_pass() == 2
    assert not OutboxEntry.objects.exists()
    assert _drain(queue_name("probe")) == [str(handled.event_id)]
    wait_for(lambda: "unrouted: 1 messages in events.unrouted" in _status(), timeout=15, what="status shows it")
    assert _drain(UNROUTED_QUEUE) == [str(unhandled.event_id)]


def _status() -> str:
    out = io.StringIO()
    call_command("projections", "status", "probe", stdout=out)
    return out.getvalue()


def test_a_deleted_projector_queue_is_declared_again_and_gets_the_event(only_probe):
    relay = Relay()
    relay._ensure_channel()  # declares the topology
    with broker_connection() as connection:
        connection.default_channel.queue_delete(queue_name("probe"))
    event = append_probe_events(1)[0]
    try:
        assert relay.publish_pending() == 1
    finally:
        relay.close()
    assert _drain(queue_name("probe")) == [str(event.event_id)]
    assert _drain(UNROUTED_QUEUE) == []


def test_a_returned_message_makes_the_relay_redeclare_and_retry(only_probe, caplog):
    """With the unrouted queue gone, an unhandled event is returned (mandatory): the relay declares
    the topology again and publishes the row once more in the same pass."""
    relay = Relay()
    relay._ensure_channel()
    with broker_connection() as connection:
        connection.default_channel.queue_delete(UNROUTED_QUEUE)
    event = _append("user.registered")[0]
    redeclared = metrics.RELAY_REDECLARED._value.get()
    try:
        with caplog.at_level(logging.WARNING, logger="socialapp.events"):
            assert relay.publish_pending() == 1
    finally:
        relay.close()
    assert metrics.RELAY_REDECLARED._value.get() == redeclared + 1
    assert "returned 1 messages; re-declaring the topology" in caplog.text
    assert _drain(UNROUTED_QUEUE) == [str(event.event_id)]


@pytest.fixture
def full_queue(only_probe):
    """A queue bound to post.created that refuses every message (max length 0, reject-publish):
    the broker nacks each post.created publish for as long as it exists."""
    with broker_connection() as connection:
        channel = connection.default_channel
        channel.queue_declare(
            "test.full", durable=True, auto_delete=False, arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
        )
        channel.queue_bind("test.full", EVENTS_EXCHANGE.name, "post.created")
    yield
    with broker_connection() as connection:
        connection.default_channel.queue_delete("test.full")


def test_refused_rows_back_off_and_never_stall_the_rows_behind_them(full_queue, settings, caplog):
    settings.EVENTS_RELAY_RETRY_BASE_SECONDS = 0.5
    refused = _append("post.created", 5)
    behind = _append("post.edited", 5)
    relay = Relay(batch_size=5)  # the refused rows fill a whole batch
    failed = metrics.RELAY_BACKED_OFF._value.get()
    try:
        with caplog.at_level(logging.ERROR, logger="socialapp.events"):
            assert relay.publish_pending() == 5
        unpublished = set(OutboxEntry.objects.values_list("position", flat=True))
        assert unpublished == {e.position for e in refused}
        assert metrics.RELAY_BACKED_OFF._value.get() == failed + 5
        assert caplog.text.count("nacked by the broker, attempt 1; next try in") == 5
        assert set(PublishFailure.objects.values_list("position", "attempts")) == {(e.position, 1) for e in refused}
        assert "5 backing off after a broker refusal" in _status()
        assert relay.publish_pending() == 0  # backing off: not even tried

        with broker_connection() as connection:  # the cause is fixed
            connection.default_channel.queue_delete("test.full")
        wait_for(lambda: relay.publish_pending() == 0 and not OutboxEntry.objects.exists(),
                 timeout=30, what="the refused rows published after their backoff")  # fmt: skip
    finally:
        relay.close()
    assert not PublishFailure.objects.exists()
    probe_ids = _drain(queue_name("probe"))
    assert set(probe_ids) >= {str(e.event_id) for e in refused + behind}


def test_an_events_exchange_declared_without_the_alternate_exchange_is_recreated(only_probe):
    """Brokers set up by an earlier version hold `socialapp.events` without the alternate exchange,
    which RabbitMQ refuses to re-declare with it: the relay re-creates it, bindings included."""
    with broker_connection() as connection:
        channel = connection.default_channel
        channel.exchange_delete(EVENTS_EXCHANGE.name)
        channel.exchange_declare(EVENTS_EXCHANGE.name, "topic", durable=True, auto_delete=False)
    event = append_probe_events(1)[0]
    assert _one_pass() == 1
    assert _drain(queue_name("probe")) == [str(event.event_id)]


def test_the_message_body_built_in_sql_is_what_as_message_gives(only_probe):
    """The relay publishes JSON text built by PostgreSQL, never decoding the row: it must carry
    exactly `Event.as_message()` (occurred_at formatted as Python's isoformat, with and without
    microseconds), or a replay from the log would differ from the live apply."""
    import json

    from django.db import connections

    from socialapp.events.relay import TAKE_BATCH

    events = _append("post.created", 2)
    events[0].occurred_at = events[0].occurred_at.replace(microsecond=0)
    Event.objects.filter(pk=events[0].pk).update(occurred_at=events[0].occurred_at)
    with transaction.atomic(), connections["default"].cursor() as cursor:
        cursor.execute(TAKE_BATCH, [10])
        bodies = {row[0]: json.loads(row[3]) for row in cursor.fetchall()}
    for event in events:
        event.refresh_from_db()
        assert bodies[event.position] == event.as_message()
    assert "." not in bodies[events[0].position]["occurred_at"]  # no microseconds: none written


def test_the_sql_built_body_escapes_strings_and_writes_a_missing_actor_as_null(only_probe):
    """The body is concatenated text in SQL: an aggregate id with quotes, backslashes and control
    characters, a payload with the same, and no actor must still give `as_message()` exactly."""
    import json

    from django.db import connections

    from socialapp.events.relay import TAKE_BATCH

    with transaction.atomic():
        event = append_event(
            event_type="post.created", aggregate_type="post", aggregate_id='q"\\\n\té-' + uuid.uuid4().hex[:8],
            aggregate_version=1, payload={"body": 'say "hi" \\ \n ünïcode', "n": [1, None, 2.5]}, actor_id=None,
        )  # fmt: skip
    with transaction.atomic(), connections["default"].cursor() as cursor:
        cursor.execute(TAKE_BATCH, [100])
        bodies = {row[0]: json.loads(row[3]) for row in cursor.fetchall()}
    event.refresh_from_db()
    assert bodies[event.position] == event.as_message()
    assert bodies[event.position]["actor_id"] is None
