"""A fan-out chunk whose task message was lost is delivered by the periodic sweep: a real Celery
beat sends `feeds.resend_stale_fanout`, a real task worker runs it and then the chunks."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.test import override_settings

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.feeds.tasks import resend_stale_fanout
from tests.read.conftest import apply_all, reset
from tests.read.factory import World
from tests.support import ChildProcess, celery_worker, child_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def feed_of(reader: int) -> list[int]:
    return [r[0] for r in fetchall("SELECT post_id FROM feed_entry WHERE reader_id = %s", [reader])]


@pytest.fixture
def lost_chunks(monkeypatch):
    """A star with 7 followers posts; the chunk jobs commit but their task messages are lost
    (dispatch drops them, as a crash between commit and send would)."""
    reset()
    monkeypatch.setattr(type(REGISTRY["home_feed"]), "dispatch", staticmethod(lambda ids: None))
    w = World()
    star = w.register("star")
    fans = [w.register(f"fan{i}") for i in range(7)]
    for fan in fans:
        w.follow(fan, star)
    with override_settings(FEED_FANOUT_CHUNK=3, FEED_FANOUT_CHUNK_MAX=3):
        apply_all(w.events)
        post = w.post(star, "to all")
        apply_all(w.events[-1:])
    assert fetchone("SELECT count(*) FROM feed_fanout_job") == (3,)
    assert all(feed_of(fan) == [] for fan in fans)
    return post, fans


def _status() -> str:
    out = io.StringIO()
    call_command("projections", "status", "home_feed", stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_a_chunk_whose_message_was_lost_is_delivered_within_the_sweep_interval(lost_chunks, tmp_path):
    post, fans = lost_chunks
    assert "home_feed: fanout_jobs_pending 3, fanout_jobs_stale 0" in _status()
    env = child_env(FEED_FANOUT_SWEEP_SECONDS="1", FEED_FANOUT_STALE_SECONDS="0.5")
    worker = celery_worker(["celery"], name="tasks-sweep", env=env)
    beat = ChildProcess(
        [sys.executable, "-m", "celery", "-A", "socialapp", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / "celerybeat-schedule")],
        env, "beat",
    )  # fmt: skip
    try:
        wait_for(lambda: all(feed_of(fan) == [post] for fan in fans), timeout=60, what="the lost chunks delivered")
        assert "feeds.resend_stale_fanout" in beat.log()
    finally:
        beat.stop()
        worker.stop()
    assert fetchone("SELECT count(*) FROM feed_fanout_job") == (0,)
    assert "home_feed: fanout_jobs_pending 0, fanout_jobs_stale 0" in _status()


def test_the_sweep_resends_only_stale_jobs_and_restarts_their_clock(lost_chunks, settings, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr("socialapp.read.feeds.jobs.send_fanout_tasks", sent.extend)
    settings.FEED_FANOUT_STALE_SECONDS = 3600
    assert resend_stale_fanout() == 0  # just sent: not stale yet
    assert "fanout_jobs_stale 0" in _status()
    settings.FEED_FANOUT_STALE_SECONDS = -1
    assert "fanout_jobs_pending 3, fanout_jobs_stale 3" in _status()
    assert resend_stale_fanout() == 3
    assert sorted(sent) == sorted(r[0] for r in fetchall("SELECT id FROM feed_fanout_job"))
    settings.FEED_FANOUT_STALE_SECONDS = 3600
    assert resend_stale_fanout() == 0  # resent just now: the next sweep leaves them alone


def test_chunk_tasks_are_published_with_their_confirms_awaited_together(settings):
    """Task messages of one post reach the queue confirmed (one wait for all of them)."""
    from kombu import Connection

    from socialapp.read.feeds.publish import ConfirmedTaskPublisher

    publisher = ConfirmedTaskPublisher()
    with Connection(settings.CELERY_BROKER_URL) as connection:
        channel = connection.channel()
        publisher.send("feeds.fanout_chunk", [[0]])  # declares the queue as Celery does
        channel.queue_purge("celery")
        try:
            publisher.send("feeds.fanout_chunk", [[-1], [-2], [-3]])
            assert publisher._outstanding == set() and publisher._sent == 4
            assert channel.queue_declare("celery", passive=True).message_count == 3
        finally:
            channel.queue_purge("celery")
            publisher.close()


def test_a_send_the_broker_refuses_is_left_to_the_sweep(settings, monkeypatch, caplog):
    from socialapp.read.feeds import jobs, publish

    settings.CELERY_BROKER_URL = "amqp://socialapp:socialapp@127.0.0.1:1/nowhere"
    monkeypatch.setattr(publish, "publisher", publish.ConfirmedTaskPublisher)  # a fresh one, not this thread's
    jobs.send_fanout_tasks([1, 2])  # no exception: the jobs are committed, the sweep resends them
    assert "2 chunk tasks not confirmed" in caplog.text
