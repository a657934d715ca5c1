"""`projections rebuild` and `projections check` cover the visibility columns: a world with every
visibility, locked accounts, requests, blocks and mutes, applied live (fan-out through chunk jobs
too), rebuilds to the same rows for every projector, the relations projector included, and every
check passes; a drifted visibility or audience is found."""

from __future__ import annotations

from unittest import mock

import pytest

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute, fetchone
from socialapp.read.feeds.jobs import run_fanout_job
from tests.read.conftest import apply_all, logged, reset
from tests.read.test_visibility_projections import NAMES, snapshot, vis_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def apply_live(events: list) -> list[int]:
    reset(NAMES)
    sent: list[int] = []
    with mock.patch.object(type(REGISTRY["home_feed"]), "dispatch", staticmethod(sent.extend)):
        apply_all(events, NAMES)
    for job in sent:
        run_fanout_job(job)
    return sent


def test_rebuild_reproduces_and_check_passes_for_every_projector(settings) -> None:
    settings.FEED_FANOUT_CHUNK = 1  # every fan-out to followers through chunk jobs
    assert apply_live(logged(vis_world().events))
    live = snapshot()
    assert fetchone("SELECT count(DISTINCT visibility) FROM read_post") == (4,)
    for name in NAMES:
        report = REGISTRY[name].check()
        assert report.ok and report.checked > 0, (name, report)
    for name in NAMES:
        with mock.patch("socialapp.read.feeds.jobs.send_fanout_tasks") as send:
            result = REGISTRY[name].rebuild_strategy().run()
        assert result["replayed"] > 0, name
        if name == "home_feed":
            for job in send.call_args.args[0] if send.call_args else []:
                run_fanout_job(job)
    assert snapshot() == live
    for name in NAMES:
        assert REGISTRY[name].check().ok, name


@pytest.mark.parametrize(
    ("projector", "drift", "table"),
    [
        ("posts", "UPDATE read_post SET visibility = 'public' WHERE visibility = 'direct'", "read_post"),
        ("posts", "UPDATE read_comment SET audience_ids = '{}' WHERE audience_ids <> '{}'", "read_comment"),
        ("profiles", "UPDATE read_profile SET locked = NOT locked WHERE user_id = 1", "read_profile"),
        (
            "home_feed",
            "DELETE FROM feed_entry WHERE post_id IN (SELECT post_id FROM feed_post"
            " WHERE visibility = 'followers') AND reader_id <> author_id",
            "feed_entry",
        ),
        ("relations", "UPDATE read_block SET active = NOT active", "read_block"),
    ],
)
def test_the_check_finds_drifted_visibility_columns(settings, projector: str, drift: str, table: str) -> None:
    apply_live(logged(vis_world().events))
    assert execute(drift) > 0
    report = REGISTRY[projector].check()
    assert not report.ok and any(k.startswith(f"{table}:") for k in [*report.lost, *report.unexpected]), report
