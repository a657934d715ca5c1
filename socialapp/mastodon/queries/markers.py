"""Mastodon read markers: `GET /api/v1/markers` and `POST /api/v1/markers`
(docs/mastodon-notifications-search.md).

Mirrors Api::V1::MarkersController: GET (read:statuses) answers the caller's markers among
`timeline[]` (unknown names and markers never set are left out, so `{}` is a valid answer); POST
(write:statuses) takes `{"home": {"last_read_id": ...}, "notifications": {...}}` (JSON, or the
form keys `home[last_read_id]`), ignores other keys and answers the markers it was given, each as
REST::MarkerSerializer renders it: `last_read_id` (a string), `version`, `updated_at`.

The markers are the read side's own state, not domain facts (socialapp/read/notifications/
markers.py): the notifications marker is our read marker, so marking here moves our own API's
unread count too. Both only move forward: a `last_read_id` below the current one changes nothing
(`version` stays), where Mastodon would move back; a notifications marker beyond the newest
notification stops at it. A POST is therefore a query-side view, like clearing notifications.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.errors import ValidationFailed
from socialapp.common.request_schema import JSON_ID, request_body
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.entities import iso
from socialapp.mastodon.common.params import as_id, as_list
from socialapp.mastodon.common.schema import mastodon_schema, strings_param
from socialapp.mastodon.queries.base import QueryView
from socialapp.read.notifications import markers
from socialapp.read.notifications.markers import TIMELINES, Marker


def render(found: dict[str, Marker]) -> dict[str, dict[str, Any]]:
    return {
        timeline: {
            "last_read_id": str(marker["last_read_id"]),
            "version": marker["version"],
            "updated_at": iso(marker["updated_at"]),
        }
        for timeline, marker in found.items()
    }


def wanted(data: Any) -> dict[str, int]:
    """timeline -> last_read_id from a JSON object or a form (`home[last_read_id]`); keys other
    than Mastodon's two timelines are ignored, as Mastodon's permitted params drop them."""
    out: dict[str, int] = {}
    for timeline in TIMELINES:
        value = data.get(timeline)
        if value is None:
            flat = data.get(f"{timeline}[last_read_id]")
            value = {"last_read_id": flat} if flat is not None else None
        if value is None:
            continue
        if not isinstance(value, dict):
            raise ValidationFailed.on(timeline, "must be an object with last_read_id")
        last_read_id = as_id(value.get("last_read_id"), field=f"{timeline}.last_read_id")
        if last_read_id is None:
            raise ValidationFailed.on("last_read_id", "can't be blank")
        out[timeline] = last_read_id
    return out


MARKERS_BODY = request_body(
    {
        timeline: {
            "type": "object",
            "nullable": True,
            "properties": {"last_read_id": {**JSON_ID, "description": "The newest item read"}},
            "required": ["last_read_id"],
            "description": f"The {timeline} marker (a form sends `{timeline}[last_read_id]`)",
        }
        for timeline in TIMELINES
    },
    description="The markers to move; other keys are ignored",
)


class MarkersView(QueryView):
    scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    @mastodon_schema(
        "markers",
        "Your read markers among the timelines asked for (home, notifications)",
        parameters=[strings_param("timeline", f"Timelines ({', '.join(TIMELINES)}; other names are left out)")],
    )
    def get(self, request: Request) -> Response:
        timelines = as_list(request.GET, "timeline")
        return Response(render(markers.get_markers(user_id=request.user.pk, timelines=timelines)))

    @mastodon_schema("markers", "Move your read markers forward (the read side's own state)", request=MARKERS_BODY)
    def post(self, request: Request) -> Response:
        moves = wanted(request.data)  # an object: MastodonView.initial refused anything else
        for timeline, last_read_id in moves.items():
            markers.set_marker(user_id=request.user.pk, timeline=timeline, last_read_id=last_read_id)
        return Response(render(markers.get_markers(user_id=request.user.pk, timelines=list(moves))))


_view = MarkersView.as_view()

urlpatterns = [
    path("api/v1/markers", by_method(get=_view, post=_view), name="mastodon-markers"),
]
