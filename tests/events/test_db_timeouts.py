"""Server-side timeouts on both databases, and the rebuild's swap giving up on a held lock (and
retrying) instead of queueing every reader of the table behind it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import OperationalError, connections

from socialapp.events.rebuild import SchemaSwapRebuild
from tests.events.helpers import append_probe_events
from tests.events.probe import ProbeProjector

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


def _show(alias: str, name: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("alias", ["default", "read"])
def test_timeouts_are_in_force_on_every_connection(alias):
    assert _show(alias, "statement_timeout") == "30s"
    assert _show(alias, "lock_timeout") == "10s"
    assert _show(alias, "idle_in_transaction_session_timeout") == "1min"


def _hold_table(table: str, release: threading.Event, held: threading.Event) -> None:
    """An open transaction that has read `table` (ACCESS SHARE) until `release` is set: a long
    report, say. A plain connection of its own, as another client's would be."""
    s = connections["read"].settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"], dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"]
    ) as conn:
        conn.execute(f"SELECT count(*) FROM {table}")
        held.set()
        release.wait(30)
        conn.rollback()


@contextlib.contextmanager
def _table_held(table: str) -> Iterator[threading.Event]:
    """`_hold_table` in a thread for the block, which starts once the table is held; yields the
    event that lets the reader go (set anyway, and the thread joined, when the block ends)."""
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_table, args=(table, release, held))
    holder.start()
    try:
        assert held.wait(10)
        yield release
    finally:
        release.set()
        holder.join()


@pytest.fixture
def shadow_ready(probe_tables, settings):
    settings.REBUILD_SWITCH_LOCK_TIMEOUT = "200ms"
    append_probe_events(3)
    rebuild = SchemaSwapRebuild(ProbeProjector())
    rebuild.prepare()
    yield rebuild
    with connections["read"].cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {rebuild.shadow} CASCADE")
        cursor.execute(f"DROP SCHEMA IF EXISTS {rebuild.retired} CASCADE")


def _schema_exists(name: str) -> bool:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def test_switch_fails_fast_while_a_reader_holds_the_table(shadow_ready, settings, caplog):
    settings.REBUILD_SWITCH_ATTEMPTS = 3
    with _table_held("probe_aggregate"):
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            shadow_ready.switch(0)
        elapsed = time.monotonic() - started
    assert elapsed < 10, f"the switch waited {elapsed:.1f}s"
    assert sum("switch attempt" in r.getMessage() for r in caplog.records) == 2  # 3 attempts, 2 retries
    assert _schema_exists(shadow_ready.shadow), "the shadow is kept for a rerun"


def test_switch_retries_and_succeeds_once_the_reader_is_gone(shadow_ready, settings, caplog):
    settings.REBUILD_SWITCH_ATTEMPTS = 5
    with _table_held("probe_aggregate") as release:
        threading.Timer(0.5, release.set).start()  # the report ends after the first attempt
        shadow_ready.switch(0)
    assert any("switch attempt 1/5" in r.getMessage() for r in caplog.records)
    assert not _schema_exists(shadow_ready.shadow), "swapped in"
