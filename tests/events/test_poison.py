"""Poison events cannot cycle forever: database errors are classified by SQLSTATE, transient
retries are capped, and in a batch only the offending event is dead-lettered."""

from __future__ import annotations

import pytest
from django.db import connections, transaction

from socialapp.events.deadletters import list_dead
from socialapp.events.projector import PERMANENT, TRANSIENT, classify_error
from tests.events.helpers import append_probe_events, marked_aggregate, poisoned_among, probe_env
from tests.events.probe import raise_sqlstate
from tests.pipeline_support import running_pipeline
from tests.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def _real_error(code: str) -> Exception:
    """The exception Django raises when PostgreSQL fails a statement with SQLSTATE `code`."""
    try:
        with transaction.atomic(using="read"), connections["read"].cursor() as cursor:
            raise_sqlstate(cursor, code)
    except Exception as exc:
        return exc
    raise AssertionError(f"{code} did not raise")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("08006", TRANSIENT),  # connection failure
        ("40001", TRANSIENT),  # serialization failure
        ("40P01", TRANSIENT),  # deadlock detected
        ("55P03", TRANSIENT),  # lock not available (lock_timeout)
        ("57P01", TRANSIENT),  # admin shutdown
        ("57014", TRANSIENT),  # query canceled (statement_timeout)
        ("53300", TRANSIENT),  # too many connections
        ("22023", PERMANENT),  # data exception
        ("23505", PERMANENT),  # unique violation
        ("42P01", PERMANENT),  # undefined table
        ("54000", PERMANENT),  # program limit exceeded: an OperationalError no retry fixes
        ("XX000", "error"),  # internal error: a bug, bounded by the delivery limit
    ],
)
def test_database_errors_are_classified_by_sqlstate(code: str, kind: str):
    assert classify_error(_real_error(code)) == kind


def test_real_division_by_zero_is_permanent_and_a_closed_connection_transient():
    try:
        with connections["read"].cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
    except Exception as exc:
        assert classify_error(exc) == PERMANENT
    from django.db import OperationalError

    assert classify_error(OperationalError("server closed the connection unexpectedly")) == TRANSIENT


@pytest.mark.slow
@pytest.mark.parametrize("batch", ["1", "20"], ids=["one-by-one", "batches"])
def test_deterministic_operational_error_is_dead_lettered_alone(probe_tables, batch: str):
    """54000 is an OperationalError that no retry fixes: it used to be retried forever (and, in a
    batch, held back every neighbour); now only it is dead-lettered, with its reason."""
    poison = marked_aggregate("probe_sqlstate", sqlstate="54000")
    with running_pipeline(["probe"], env=probe_env(PROBE_BATCH_SIZE=batch)) as pipeline:
        bad, dead = poisoned_among(pipeline, poison, 8)
        log = pipeline.workers["probe"].log()
    assert [d.event_id for d in dead] == [str(bad.event_id)]
    assert dead[0].reason == "permanent"
    assert dead[0].error.startswith("OperationalError [SQLSTATE 54000]: probe: sqlstate 54000"), dead[0].error
    assert "transient error" not in log


@pytest.mark.slow
def test_an_event_failing_transiently_forever_is_dead_lettered_after_the_cap(probe_tables):
    flaky = marked_aggregate("probe_flaky")
    env = probe_env(EVENTS_TRANSIENT_RETRIES="2", EVENTS_RETRY_ATTEMPTS="1")
    with running_pipeline(["probe"], env=env) as pipeline:
        bad = append_probe_events(1, aggregate_id=flaky)
        good = append_probe_events(3)
        pipeline.wait_applied(good, timeout=60)
        dead = wait_for(lambda: list_dead("probe"), timeout=60, what="the flaky event dead-lettered")
        log = pipeline.workers["probe"].log()
    assert [d.event_id for d in dead] == [str(bad[0].event_id)]
    assert dead[0].reason == "transient_retries"
    assert "flaky aggregate" in dead[0].error
    assert log.count("back to the tail of the queue") == 3  # two trips, the third gives up
    assert "Traceback" not in log  # expected transient errors: one warning line each


@pytest.mark.slow
def test_a_batch_with_one_poison_event_dead_letters_only_it_and_applies_the_others_once(probe_tables):
    """One transaction commits 21 events, one of them poisoned: the worker takes them as one batch
    (one commit, one `multiple` ack). The poisoned event fails the batch's transaction, the batch
    is applied again one event per transaction, the poisoned one is requeued until the delivery
    limit dead-letters it alone, and each neighbour is applied exactly once and acked."""
    from socialapp.events.log import append_event

    poison = marked_aggregate("probe_poison")
    with running_pipeline(["probe"], env=probe_env(PROBE_BATCH_SIZE="50")) as pipeline:
        good = append_probe_events(10, per_transaction=10)  # a warm worker: the next batch arrives whole
        pipeline.wait_applied(good, timeout=60)
        with transaction.atomic():
            neighbours = append_probe_events(20, per_transaction=20)
            bad = append_event(event_type="post.created", aggregate_type="post", aggregate_id=poison,
                               aggregate_version=1, payload={"value": "v1"})  # fmt: skip
        pipeline.wait_applied(neighbours, timeout=60)
        dead = wait_for(lambda: list_dead("probe"), timeout=60, what="the poison event in the dead letters")
        log = pipeline.workers["probe"].log()
    assert [d.event_id for d in dead] == [str(bad.event_id)]
    assert dead[0].reason == "delivery_limit"
    assert "requeued (bounded by the delivery limit)" in log
    assert "(batches of 50)" in log
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(times) FROM probe_applied WHERE event_id = ANY(%s::uuid[])",
            [[str(e.event_id) for e in good + neighbours]],
        )
        assert cursor.fetchone() == (30, 1)
        cursor.execute("SELECT count(*) FROM probe_applied WHERE aggregate_id = %s", [poison])
        assert cursor.fetchone() == (0,)
