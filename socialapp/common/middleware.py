"""Refuse NUL bytes anywhere in the URL, for every view (the admin's included), with a 400.

PostgreSQL cannot store NUL in text, so no resource name, search or filter can contain one; a
NUL that reached a query raised DataError, a 500. The API's path converters already refuse it in
path parameters (socialapp/common/converters.py), and the input serializers and text rules in
bodies; this covers query strings and views we do not own (the admin's changelist search and
filters take raw GET parameters), in one place, before any view runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from socialapp.common.errors import bad_request_view


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return bad_request_view(request, detail="NUL bytes are not allowed in URLs.")
        return self.get_response(request)
