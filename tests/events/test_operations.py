"""Operations: rebuild while live events flow, status, check reporting divergence."""

from __future__ import annotations

import io
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from socialapp.events.metrics import forget_cached_metrics
from socialapp.events.projector import EventMessage
from tests.events.helpers import append_probe_events, probe_env
from tests.events.probe import ProbeProjector
from tests.pipeline_support import running_pipeline, wait_applied
from tests.support import REPO, ChildProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_check_reports_lost_duplicated_and_unexpected_entries(probe_tables):
    events = append_probe_events(6)
    projector = ProbeProjector()
    for event in events:
        projector.apply(EventMessage.from_dict(event.as_message()))
    assert projector.check().ok
    with connections["read"].cursor() as cursor:
        cursor.execute("DELETE FROM probe_applied WHERE event_id = %s", [events[0].event_id])
        cursor.execute("UPDATE probe_applied SET times = 2 WHERE event_id = %s", [events[1].event_id])
        cursor.execute("INSERT INTO probe_aggregate VALUES ('ghost', 1, 'x')")
    report = projector.check()
    assert report.lost == [f"event {events[0].event_id}"]
    assert report.duplicated == [f"event {events[1].event_id} x2"]
    assert report.unexpected == ["aggregate ghost"]
    out = io.StringIO()
    with pytest.raises(CommandError, match="diverged: probe"):
        call_command("projections", "check", "probe", stdout=out)
    assert "probe: DIVERGED (6 checked; lost 1, duplicated 1, unexpected 1)" in out.getvalue()


def shadow_exists() -> bool:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'rebuild_probe'")
        return cursor.fetchone() is not None


def test_rebuild_while_live_events_flow_loses_nothing_and_repairs_the_read_model(probe_tables):
    with running_pipeline(["probe"], env=probe_env()) as pipeline:
        events = append_probe_events(120, per_transaction=10)
        pipeline.wait_applied(events, timeout=60)
        with connections["read"].cursor() as cursor:  # damage the read model
            cursor.execute("DELETE FROM probe_applied WHERE mod(position, 7) = 0")
            cursor.execute("UPDATE probe_aggregate SET value = 'corrupt'")
        assert not ProbeProjector().check().ok

        rebuild = ChildProcess(
            [sys.executable, "manage.py", "projections", "rebuild", "probe"],
            probe_env(PROBE_DELAY_SECONDS="0.01"),  # a replay slow enough to overlap live events
            "rebuild",
        )
        try:
            wait_for(shadow_exists, timeout=60, what="the rebuild to start replaying")
            for _ in range(100):  # commands keep committing during the rebuild
                if rebuild.proc.poll() is not None:
                    break
                events += append_probe_events(5, per_transaction=5)
            wait_for(lambda: rebuild.proc.poll() is not None, timeout=120, what="the rebuild to finish")
            assert rebuild.proc.returncode == 0, rebuild.log()
        finally:
            rebuild.stop()
        assert "rebuilt probe: replayed" in rebuild.log()
        events += append_probe_events(10)
        pipeline.wait_applied(events, timeout=60)
        wait_for(lambda: ProbeProjector().check().ok, timeout=30, what="the rebuilt read model to converge")
    report = ProbeProjector().check()
    assert report.ok and report.checked == len(events), report
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN ('rebuild_probe', 'retired_probe')")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'probe_aggregate' ORDER BY 1")
        assert [r[0] for r in cursor.fetchall()] == ["probe_aggregate_pkey", "probe_aggregate_value_a1b2c3"]


def test_status_shows_applied_lag_queue_and_dead_letters(probe_tables):
    with running_pipeline(["probe"], env=probe_env()) as pipeline:
        events = append_probe_events(5)
        pipeline.wait_applied(events)
        out = io.StringIO()
        call_command("projections", "status", "probe", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("log: 5 events, 0 unpublished")
    row = next(line.split() for line in lines if line.startswith("probe "))
    assert row[1:3] == ["5", "0"]  # applied, lag
    assert row[-1] == "0"  # no dead letters


def test_unknown_projector_is_a_clear_error():
    with pytest.raises(CommandError, match="no projector named 'nope'"):
        call_command("projections", "rebuild", "nope")
    with pytest.raises(CommandError, match="no projector named 'nope'"):
        call_command("deadletters", "list", "nope")


def test_events_applied_helper_fails_clearly_when_nothing_runs(probe_tables):
    events = append_probe_events(1)
    with pytest.raises(AssertionError, match=r"still missing per projector: \{.probe.: 1\}"):
        wait_applied(events, ["probe"], timeout=0.5)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_from_the_web_endpoint_and_the_worker_exporter(probe_tables, client):
    import requests

    port = _free_port()
    with running_pipeline(["probe"], env=probe_env(PROJECTOR_METRICS_PORT=str(port))) as pipeline:
        events = append_probe_events(7)
        pipeline.wait_applied(events)
        forget_cached_metrics()
        body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").content.decode()
        worker = wait_for(
            lambda: (r := requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2)).ok and r.text,
            timeout=10,
            what="the worker exporter",
        )
    assert "socialapp_events_appended_total 7.0" in body
    assert "socialapp_events_published_total 7.0" in body
    assert "socialapp_relay_backlog 0.0" in body
    assert 'socialapp_projection_applied_total{projector="probe"} 7.0' in body
    assert 'socialapp_projection_lag_events{projector="probe"} 0.0' in body
    assert 'socialapp_dead_letters{projector="probe"} 0.0' in body
    assert 'socialapp_projector_applied_total{projector="probe"} 7.0' in worker
    assert 'socialapp_projector_apply_seconds_count{projector="probe"} 7.0' in worker
    assert client.get("/metrics").status_code == 401


def test_procfile_runs_both_web_sides_relay_and_one_worker_per_registered_projector():
    from socialapp.events.projector import REGISTRY

    out = io.StringIO()
    call_command("projections", "procfile", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("web-commands: ") and lines[1].startswith("web-queries: ")
    # The streaming server right after the web types: under honcho (`make run`, base port 8000) the
    # second process type gets 8100, the address the Makefile gives STREAMING_API_URL.
    assert lines[2].startswith("web-streaming: ") and "uvicorn socialapp.streaming.asgi:application " in lines[2]
    assert "--workers ${WEB_STREAMING_WORKERS:-1} " in lines[2] and "--port $PORT " in lines[2]
    assert lines[3].startswith("relay: ")
    # Each side sized on its own and ready when its own dependencies are (docs/ops.md).
    assert "READINESS_CHECKS=postgres_write,cache " in lines[0] and "${WEB_COMMANDS_WORKERS:-" in lines[0]
    assert "READINESS_CHECKS=postgres_read,elasticsearch,cache " in lines[1] and "${WEB_QUERIES_THREADS:-" in lines[1]
    assert sum(line.startswith("beat: ") and "celery -A socialapp beat " in line for line in lines) == 1
    committed = [line for line in (REPO / "Procfile").read_text().splitlines() if not line.startswith("#")]
    assert committed == lines, "Procfile is stale: regenerate it"
    for name in REGISTRY:
        assert sum(f"-P solo -Q projector.{name} " in line for line in lines) == 1, name
    # `make run`: one web process serving both sides, the rest unchanged.
    out = io.StringIO()
    call_command("projections", "procfile", "--single-web", stdout=out)
    single = out.getvalue().splitlines()
    assert single[0].startswith("web: ") and "READINESS_CHECKS" not in single[0]
    assert single[1].startswith("web-streaming: ") and "--workers 1 " in single[1]
    assert single[2:] == lines[3:]
