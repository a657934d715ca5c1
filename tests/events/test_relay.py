"""The relay in-process against the real broker: an unroutable (returned) message is a failure
and its row stays unpublished; once routable, the next pass publishes and marks it."""

import pytest

from socialapp.events import metrics
from socialapp.events.models import Event
from socialapp.events.projector import REGISTRY
from socialapp.events.relay import Relay
from socialapp.events.topology import EVENTS_EXCHANGE, broker_connection, queue_name
from tests.events.helpers import append_probe_events

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


def test_returned_message_leaves_its_row_unpublished_until_it_is_routable(only_probe):
    relay = Relay()
    relay._ensure_channel()  # declares the topology: probe's queue bound to post.*
    with broker_connection() as connection:
        connection.default_channel.queue_unbind(queue_name("probe"), EVENTS_EXCHANGE.name, "post.created")
    event = append_probe_events(1)[0]
    failed_before = metrics.RELAY_FAILED._value.get()
    try:
        assert relay.publish_batch() == 0
        assert metrics.RELAY_FAILED._value.get() == failed_before + 1
        assert Event.objects.get(pk=event.pk).published_at is None
    finally:
        relay.close()

    fresh = Relay()  # declares again: bound, so routable
    try:
        assert fresh.publish_pending() == 1
    finally:
        fresh.close()
    assert Event.objects.get(pk=event.pk).published_at is not None
    with broker_connection() as connection:
        message = connection.default_channel.basic_get(queue_name("probe"), no_ack=True)
    assert message.properties["message_id"] == str(event.event_id)
    assert message.properties["delivery_mode"] == 2


def test_rows_locked_by_another_relay_are_skipped_not_published_twice(only_probe):
    from django.db import connections

    events = append_probe_events(30, per_transaction=30)
    other = connections.create_connection("default")  # a second relay, mid-batch on the first 10 rows
    relay = Relay()
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT position FROM event_log WHERE published_at IS NULL ORDER BY position LIMIT 10"
                " FOR UPDATE SKIP LOCKED"
            )
            held = {row[0] for row in cursor.fetchall()}
            assert relay.publish_pending() == 20  # takes only the rows nobody holds
            cursor.execute("ROLLBACK")
        assert set(Event.objects.filter(published_at__isnull=True).values_list("position", flat=True)) == held
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


def test_in_a_pipelined_batch_only_the_returned_messages_stay_unpublished(only_probe):
    """Confirms of a batch are awaited together: a return in the middle of the batch must fail
    exactly its own row, and every confirmed neighbour is marked."""
    relay = Relay()
    relay._ensure_channel()
    with broker_connection() as connection:
        connection.default_channel.queue_unbind(queue_name("probe"), EVENTS_EXCHANGE.name, "post.created")
    events = append_probe_events(5) + append_probe_events(5)  # created (unroutable) + 4 edits, twice
    try:
        assert relay.publish_batch() == 8
    finally:
        relay.close()
    unpublished = set(Event.objects.filter(published_at__isnull=True).values_list("event_type", "position"))
    assert unpublished == {("post.created", events[0].position), ("post.created", events[5].position)}
    with broker_connection() as connection:
        channel = connection.default_channel
        ids = []
        while (message := channel.basic_get(queue_name("probe"), no_ack=True)) is not None:
            ids.append(message.properties["message_id"])
    assert sorted(ids) == sorted(str(e.event_id) for e in events if e.event_type == "post.edited")
