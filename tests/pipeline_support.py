"""Run the real event pipeline in tests: relay and projector workers as child processes.

    from tests.pipeline_support import running_pipeline, wait_applied

    @pytest.mark.django_db(transaction=True, databases=["default", "read"])
    def test_feed_shows_a_new_post(...):
        with running_pipeline(["feeds", "profiles"]) as pipeline:
            with capture_events() as events:
                create_post(...)                      # commits; the relay is woken by NOTIFY
            pipeline.wait_applied(events)            # every projector that handles them applied them
            ...query the read model...

`running_pipeline` starts one relay (`manage.py relay`) and one worker per projector
(`celery -A socialapp worker -P solo -Q projector.<name>`), all with `tests.support.child_env()`
so that they use this run's test databases and vhost, waits until they are up, and stops them
on exit (their logs are in .services/logs/tests/). `wait_applied` polls the tracking table, so it
fails with a clear message instead of hanging.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.db import connections

from devkit.processes import ChildProcess, start_relay, start_worker, stop_all
from socialapp.events.projector import REGISTRY
from tests.support import wait_for


def _event_ids(events: Iterable[object]) -> list[tuple[str, str]]:
    """(event_id, event_type) of Event rows, EventMessages or dicts."""
    out = []
    for e in events:
        if isinstance(e, dict):
            out.append((str(e["event_id"]), str(e["event_type"])))
        else:
            out.append((str(e.event_id), str(e.event_type)))  # type: ignore[attr-defined]
    return out


def app_projectors() -> list[str]:
    """Registered projectors of the application (not the tests' or benchmarks' own)."""
    return sorted(n for n, p in REGISTRY.items() if not type(p).__module__.startswith(("tests.", "bench.")))


def applied_ids(projector: str) -> set[str]:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT event_id::text FROM projection_applied_event WHERE projector = %s", [projector])
        return {row[0] for row in cursor.fetchall()}


def wait_applied(events: Iterable[object], projectors: Iterable[str] | None = None, *, timeout: float = 60.0) -> None:
    """Wait until each given projector (default: every application projector that handles an
    event's type) has applied each of the events."""
    pairs = _event_ids(events)
    names = list(projectors) if projectors is not None else app_projectors()

    def missing() -> dict[str, int]:
        gaps = {}
        for name in names:
            handled = set(REGISTRY[name].event_types())
            wanted = {eid for eid, etype in pairs if etype in handled}
            if wanted:
                left = len(wanted - applied_ids(name))
                if left:
                    gaps[name] = left
        return gaps

    last: dict[str, int] = {}

    def done() -> bool:
        nonlocal last
        last = missing()
        return not last

    try:
        wait_for(done, timeout=timeout, interval=0.1, what="events applied")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still missing per projector: {last}") from None


@dataclass
class Pipeline:
    projectors: list[str]
    relay: ChildProcess | None
    workers: dict[str, ChildProcess] = field(default_factory=dict)

    def wait_applied(self, events: Iterable[object], *, timeout: float = 60.0) -> None:
        wait_applied(events, self.projectors, timeout=timeout)


@contextmanager
def running_pipeline(
    projectors: list[str], *, relay: bool = True, env: dict[str, str] | None = None
) -> Iterator[Pipeline]:
    """Relay + one worker process per projector for the duration of the block."""
    unknown = [p for p in projectors if p not in REGISTRY]
    assert not unknown, f"unknown projectors {unknown}; registered: {sorted(REGISTRY)}"
    started: list[ChildProcess] = []
    with ExitStack() as stack:
        stack.callback(stop_all, started)  # at once, whichever of them started
        relay_process = start_relay(env=env) if relay else None
        if relay_process:
            started.append(relay_process)
        pipeline = Pipeline(list(projectors), relay_process)
        for name in projectors:
            worker = start_worker([name], env=env)
            started.append(worker)
            pipeline.workers[name] = worker
        yield pipeline
