"""Trends through the real pipeline: HTTP commands -> event log -> relay -> RabbitMQ -> the trends
worker -> counters; the refresh ranks them. A tag used by three accounts trends over one spammed
by one account, and drops out when one of its posts is deleted."""

from __future__ import annotations

import pytest

from socialapp.events.models import Event
from socialapp.read.trends.ranking import refresh
from socialapp.read.trends.selectors import top_tags
from tests.command_support import client_for, create_post, make_user
from tests.pipeline_support import running_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


def test_commands_reach_the_trends_ranking(settings) -> None:
    settings.TRENDS_MIN_ACCOUNTS = 3
    with running_pipeline(["trends"]) as pipeline:
        crowd = [make_user() for _ in range(3)]
        spammer = make_user()
        posts = [create_post(user, "the #wave is here") for user in crowd]
        for i in range(6):
            create_post(spammer, f"#spam {i}")
        pipeline.wait_applied(Event.objects.all())
        refresh()
        assert [t["name"] for t in top_tags()] == ["wave"]
        assert top_tags()[0]["accounts"] == 3
        r = client_for(crowd[0]).delete(f"/api/socialapp/v1/posts/{posts[0]['id']}")
        assert r.status_code in (200, 204), r.content
        pipeline.wait_applied(Event.objects.all())
        refresh()
        assert top_tags() == []
