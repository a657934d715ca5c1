"""The base of every query view: authentication from the shared cache (never `default`; held in
the process up to QUERY_AUTH_CACHE_SECONDS), the general rate limits counted in batches, one
read replica pinned for the whole request (when READ_REPLICA_URLS has any), the read-your-writes
wait before, the lag header after."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from socialapp.common.errors import ValidationFailed
from socialapp.common.permissions import ScopeCheckedView
from socialapp.common.replicas import pinned_for_request
from socialapp.common.throttling import RateLimitHeadersMixin
from socialapp.common.viewdocs import view_base
from socialapp.events.consistency import TOKEN_SCHEMA
from socialapp.read.common import lag
from socialapp.read.common.authentication import LocallyCachedSessionAuthentication
from socialapp.read.common.consistency import HEADER, SATISFIED_HEADER, wait_for_token
from socialapp.read.common.pagination import CURSOR_PARAMETER, LIMIT_PARAMETER, id_schema
from socialapp.read.common.throttling import QUERY_THROTTLES

CONSISTENCY_PARAMETERS = [
    OpenApiParameter(
        HEADER,
        TOKEN_SCHEMA,
        OpenApiParameter.HEADER,
        description="Token from a command's response: answer only once this read model applied the command's "
        "events (bounded wait, CONSISTENCY_WAIT_SECONDS).",
    ),
    OpenApiParameter(
        lag.HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="Seconds (millisecond precision) between now and the commit of the oldest event this read "
        "model has not applied yet, among the latest 1000 it handles; 0.000 when caught up; `unknown` before "
        "the first sample.",
    ),
    OpenApiParameter(
        SATISFIED_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="`true` when the X-Consistency-Token's events were applied before answering, `false` when "
        "the bounded wait ran out. Absent without a token.",
    ),
]
# Accept headers whose negotiation with the JSON renderer alone always ends on application/json.
_PLAIN_ACCEPT = frozenset({"*/*", "application/json", "application/json, text/plain, */*"})
PAGE_PARAMETERS = [
    LIMIT_PARAMETER,
    CURSOR_PARAMETER,
    OpenApiParameter("Link", OpenApiTypes.STR, OpenApiParameter.HEADER, response=True, description='<url>; rel="next"'),
]


def since_parameter(description: str) -> OpenApiParameter:
    """The `since` query parameter of a resume (feed, notifications): an id, as a string of
    digits (ids are 64-bit: JSON numbers would lose precision in JavaScript clients)."""
    return OpenApiParameter(
        "since",
        id_schema(),
        OpenApiParameter.QUERY,
        description=description,
    )


def viewer_id(request: Request) -> int | None:
    """The caller's user id, None when anonymous (for `liked_by_me`, `followed_by_me`, ...)."""
    return request.user.pk if request.user and request.user.is_authenticated else None


@view_base
class QueryView(RateLimitHeadersMixin, ScopeCheckedView, APIView):
    """Subclasses name the projectors whose read models they serve."""

    authentication_classes = [LocallyCachedSessionAuthentication]
    throttle_classes = QUERY_THROTTLES  # the general rates, sent to the cache in batches (throttling.py)
    projectors: ClassVar[tuple[str, ...]] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Reads (GET/HEAD/OPTIONS) run on one replica from the consistency wait to the last query;
        the read side's own command (mark-read) writes `read` and reads its write back: primary."""
        if request.method not in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with pinned_for_request():
            return super().dispatch(request, *args, **kwargs)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        """Nearly every query accepts anything, or JSON, and JSON is all these views render: that
        answer without DRF's negotiation (Accept parsed into media types and matched against each
        renderer, per request), which still decides every other case (another Accept, `?format=`)
        and gives the same answer for these (tests/read/test_api.py)."""
        renderers = self.get_renderers()
        if (
            request.META.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPT
            and len(renderers) == 1
            and renderers[0].media_type == "application/json"
            and self.format_kwarg is None
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], "application/json"
        return super().perform_content_negotiation(request, force)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not hasattr(self, request.method.lower()):
            return  # a method the view does not serve: its 405, not the token's 400 (DRF answers after `initial`)
        token = request.headers.get(HEADER)
        if token == "":  # sent but empty: not a token (the schema's minLength), not "no token"
            raise ValidationFailed.on(HEADER, "Malformed or tampered consistency token.")
        self.consistency = wait_for_token(token, self.projectors)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.projectors:
            response[lag.HEADER] = lag.read_lag(self.projectors)
        consistency = getattr(self, "consistency", None)
        if consistency is not None:
            response[SATISFIED_HEADER] = "true" if consistency else "false"
        return response
