"""Rebuilding each read model from the real event log (the pipeline's schema-swap rebuild)
gives exactly the tables that applying the events live gave."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction

from socialapp.events.log import append_event
from socialapp.events.projector import REGISTRY
from socialapp.events.rebuild import log_events
from tests.read.conftest import MINE, apply_all, reset, snapshot
from tests.read.test_projections import scenario

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_rebuild_from_the_log_equals_live_application(settings) -> None:
    settings.FEED_FANOUT_CHUNK = 2  # some posts go through chunk jobs
    world = scenario()
    with transaction.atomic():
        for e in world.events:
            append_event(
                event_type=e.event_type,
                aggregate_type=e.aggregate_type,
                aggregate_id=e.aggregate_id,
                aggregate_version=e.aggregate_version,
                payload=e.payload,
                actor_id=e.actor_id,
            )
    from socialapp.events.catalogue import ALL_EVENT_TYPES
    from socialapp.read.feeds import fanout

    logged = [m for batch in log_events(ALL_EVENT_TYPES) for m in batch]
    reset()
    sent: list[int] = []
    with mock.patch.object(type(REGISTRY["home_feed"]), "dispatch", staticmethod(sent.extend)):
        apply_all(logged)
        for job in sent:
            fanout.run_fanout_job(job)
    assert sent, "the scenario must exercise chunked fan-out"
    live = snapshot()
    for name in MINE:
        with mock.patch("socialapp.read.feeds.fanout.send_fanout_tasks") as send:
            result = REGISTRY[name].rebuild_strategy().run()
        assert result["replayed"] > 0
        if name == "home_feed":
            jobs = send.call_args.args[0]
            assert result["fanout_jobs_sent"] == len(jobs) > 0
            for job in jobs:
                fanout.run_fanout_job(job)
    assert snapshot() == live
