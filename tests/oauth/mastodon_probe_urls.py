"""The project's URLs plus two probe routes built on the Mastodon face's bases, one per side,
each with a per-route scope (the real Mastodon routes arrive with their own helpers): they
check that `request.auth.scopes` from both authentication classes reaches RouteScope."""

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.mastodon.commands.base import CommandView
from socialapp.mastodon.queries.base import QueryView


class ProbeWrite(CommandView):
    scopes = {"POST": "write:statuses"}

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class ProbeRead(QueryView):
    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("probe/write", ProbeWrite.as_view()),
    path("probe/read", ProbeRead.as_view()),
    path("", include("socialapp.urls")),
]
