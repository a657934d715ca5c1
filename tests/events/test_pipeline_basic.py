"""The pipeline end to end: append -> relay -> RabbitMQ -> projector worker -> read model."""

import pytest

from socialapp.events.models import OutboxEntry
from tests.events.helpers import append_probe_events, probe_env
from tests.events.probe import ProbeProjector
from tests.pipeline_support import running_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_committed_events_are_published_and_applied_exactly_once(probe_tables):
    with running_pipeline(["probe"], env=probe_env()) as pipeline:
        events = append_probe_events(30, per_transaction=3)
        pipeline.wait_applied(events, timeout=60)
    assert OutboxEntry.objects.count() == 0
    report = ProbeProjector().check()
    assert report.checked == 30
    assert report.ok, report
