"""A live Mastodon-compatible server for real clients (Mastodon.py, toot): the whole app served
over HTTP on this run's test databases, with the event pipeline running beside it, so that what a
client writes reaches the read models and Elasticsearch and its next reads converge.

    @pytest.mark.django_db(transaction=True, databases=["default", "read"])
    def test_flow(live_stack):
        api = Mastodon(api_base_url=live_stack.url, ...)
        live_stack.wait(lambda: api.timeline_home(), what="the post in the home timeline")

Pieces reused, not re-invented: pytest-django's `live_server` (a threaded WSGI server in this
process, as tests/browser uses; the query side's cached sessions live in the shared Redis, so the
same process is fine) and devkit's relay and Celery workers (tests/pipeline_support.py), started
with `child_env()` so they read and write the same test databases, vhost and index prefix. One
worker consumes every application projector's queue (one process starts faster than five), one
more the default queue (the home feed's fan-out chunks). Clients wait on conditions with a
timeout (`LiveStack.wait`), never on sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TypeVar

import pytest

from devkit.processes import ChildProcess, stop_all
from socialapp.read.search import indexes
from tests.pipeline_support import Pipeline, app_projectors, start_relay, start_worker
from tests.support import celery_worker, child_env, wait_for

T = TypeVar("T")
CONVERGE_SECONDS = 60.0  # a cold worker on a loaded 2-core machine; a healthy run takes < 1 s


@dataclass
class LiveStack:
    """The live server's base URL (no trailing slash, as Mastodon.py normalises it) and the
    pipeline behind it."""

    url: str
    pipeline: Pipeline

    def wait(self, condition: Callable[[], T], *, what: str, timeout: float = CONVERGE_SECONDS) -> T:
        """Poll `condition` (a client call) until it returns something truthy: reads are
        eventually consistent, so a client test waits for convergence instead of sleeping."""
        return wait_for(condition, timeout=timeout, interval=0.1, what=what)


def pipeline_env() -> dict[str, str]:
    """The children's environment: this run's databases, vhost and indexes, hashtags pushed to
    search with every batch (as tests/search does) and a small fan-out chunk, so the chunk tasks
    on the default queue are exercised too."""
    return child_env(SEARCH_HASHTAG_PUSH_SECONDS="0", FEED_FANOUT_CHUNK="2")


@pytest.fixture
def live_stack(live_server, settings) -> Iterator[LiveStack]:
    """The app over HTTP plus relay and workers, for one test (the databases are flushed after
    each transactional test, the indexes are made fresh before it)."""
    settings.CONSISTENCY_WAIT_SECONDS = 10
    settings.SEARCH_HASHTAG_PUSH_SECONDS = 0
    indexes.drop_all()
    indexes.ensure_indexes()
    env = pipeline_env()
    projectors = app_projectors()
    started: list[ChildProcess] = []
    with ExitStack() as stack:
        stack.callback(stop_all, started)  # at once, whichever of them started
        relay = start_relay(env=env)
        started.append(relay)
        worker = start_worker(projectors, name="mastodon-projectors", env=env)
        started.append(worker)
        chunks = celery_worker(["celery"], name="mastodon-fanout", extra=["-P", "solo"], env=env)
        started.append(chunks)
        pipeline = Pipeline(projectors, relay, {name: worker for name in projectors})
        yield LiveStack(url=live_server.url.rstrip("/"), pipeline=pipeline)
