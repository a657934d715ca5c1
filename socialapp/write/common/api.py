"""The base of every command endpoint: it hands the client an `X-Consistency-Token`.

The token lists the events the command appended (captured while the view ran). A command that
changed nothing (liking twice, the same profile again) appended nothing; it answers with a
token for the last event of the aggregate it names instead, so a client that retries after a
lost response still gets a token that reads its own write.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.views import APIView

from socialapp.common.permissions import ScopeCheckedView
from socialapp.common.throttling import RateLimitHeadersMixin
from socialapp.common.viewdocs import view_base
from socialapp.events.consistency import HEADER, make_token
from socialapp.events.log import capture_events
from socialapp.events.models import Event


class CommandSchema(AutoSchema):
    """Documents the `X-Consistency-Token` response header on every command's success."""

    def get_override_parameters(self) -> list[Any]:
        return [
            *super().get_override_parameters(),
            OpenApiParameter(
                HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200, 201, 204],
                description="Opaque token; send it back on a query to read this write.",
            ),
        ]

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        """A PATCH body as the command validates it: with its required fields (our commands
        validate a PATCH with the whole serializer, not DRF's partial one; drf-spectacular would
        document every field of a PATCH as optional)."""
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"


Aggregate = tuple[str, str | int]


@view_base
class CommandView(RateLimitHeadersMixin, ScopeCheckedView, APIView):
    """In a handler, set `self.aggregate = (aggregate_type, aggregate_id)` to name the fallback,
    or `self.aggregates = [...]` for several candidates, the first with an event winning (an
    unlike of a never-liked post falls back to the post itself)."""

    schema = CommandSchema()
    aggregate: Aggregate | None = None
    aggregates: list[Aggregate] = []

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.aggregate, self.aggregates = None, []
        with capture_events() as appended:
            response = super().dispatch(request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            token = make_token(appended) or make_token(self._last_event_of_aggregate())
            if token:
                response[HEADER] = token
        return response

    def _last_event_of_aggregate(self) -> list[Event]:
        candidates = [self.aggregate] if self.aggregate else []
        for aggregate_type, aggregate_id in [*candidates, *self.aggregates]:
            last = (
                Event.objects.filter(aggregate_type=aggregate_type, aggregate_id=str(aggregate_id))
                .order_by("-aggregate_version")
                .first()
            )
            if last is not None:
                return [last]
        return []
