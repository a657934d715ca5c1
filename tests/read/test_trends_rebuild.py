"""`projections check trends` and `projections rebuild trends`: a world of posts, edits, deletes,
likes, comments and suspensions, appended to the real log and applied live, checks clean,
rebuilds to the same rows, and a drifted counter or fact is found."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from socialapp.events.projector import REGISTRY
from socialapp.read.common.sql import execute
from tests.read.conftest import apply_all, logged, reset
from tests.read.test_trends import rich_world
from tests.read.trends_support import trends_snapshot

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "read"])


@pytest.fixture
def live():
    reset(["trends"])
    apply_all(logged(rich_world().events), ["trends"])
    yield trends_snapshot()
    reset(["trends"])


def test_check_passes_and_rebuild_gives_the_same_rows(live) -> None:
    report = REGISTRY["trends"].check()
    assert report.ok and report.checked > 0, report
    call_command("projections", "check", "trends")
    call_command("projections", "rebuild", "trends")
    assert trends_snapshot() == live
    assert REGISTRY["trends"].check().ok


@pytest.mark.parametrize(
    "drift",
    [
        "UPDATE trends_tag_account_hour SET uses = uses + 1 WHERE ctid = (SELECT min(ctid) FROM trends_tag_account_hour)",
        "DELETE FROM trends_post_hour WHERE ctid = (SELECT min(ctid) FROM trends_post_hour)",
        "UPDATE trends_author SET suspended = NOT suspended",
    ],
)
def test_check_finds_drift(live, drift: str) -> None:
    execute(drift)
    assert not REGISTRY["trends"].check().ok
