"""`manage.py events export|stats`: JSON lines as the log has them, filters, counts."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from socialapp.events.models import Event
from socialapp.write.follows.services import user_follow
from socialapp.write.posts.services import post_create, post_edit

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("events", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def log(alice, bob) -> list[Event]:
    post = post_create(author=alice, body="hello #tag")
    post_edit(post_id=post.pk, actor=alice, body="hello again")
    user_follow(follower=bob, username="alice")
    return list(Event.objects.order_by("position"))


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_export_writes_every_event_as_a_json_line_in_log_order(log):
    out, _err = run("export")
    assert lines(out) == [e.as_message() for e in log]


def test_export_filters_by_type_position_and_time(log):
    types = lambda out: [e["event_type"] for e in lines(out)]  # noqa: E731
    assert types(run("export", "--type", "post.created,post.edited")[0]) == ["post.created", "post.edited"]
    assert types(run("export", "--type", "user.followed", "--type", "post.created")[0]) == [
        "post.created",
        "user.followed",
    ]
    third = log[2]
    since = lines(run("export", "--since", str(third.position))[0])
    assert [e["position"] for e in since] == [e.position for e in log[2:]]
    until = lines(run("export", "--until", str(third.position))[0])
    assert [e["position"] for e in until] == [e.position for e in log[:2]]
    by_time = lines(
        run("export", "--since", third.occurred_at.isoformat(), "--until", log[-1].occurred_at.isoformat())[0]
    )
    assert [e["position"] for e in by_time] == [e.position for e in log[2:-1]]


@pytest.mark.parametrize(
    "args",
    [("--type", "post.nope"), ("--since", "yesterday"), ("--until", "2026-13-40")],
)
def test_export_refuses_bad_filters(log, args):
    with pytest.raises(CommandError):
        run("export", *args)


def test_stats_counts_per_type_and_per_day(log):
    out, _err = run("stats")
    assert "events per type" in out and "events per day (UTC)" in out
    counts = dict(line.split() for line in out.splitlines() if line.startswith("  "))
    assert counts["user.registered"] == "2" and counts["post.created"] == "1" and counts["user.followed"] == "1"
    day = log[0].occurred_at.date().isoformat()
    assert int(counts[day]) == len(log) and out.splitlines()[-1] == f"total  {len(log)}"
    only = run("stats", "--type", "post.edited")[0]
    assert "post.created" not in only and only.splitlines()[-1] == "total  1"
