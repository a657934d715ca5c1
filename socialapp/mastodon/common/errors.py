"""Errors in Mastodon's shape on Mastodon routes: `{"error": "..."}` with Mastodon's status codes.

Mastodon clients read `error` (Mastodon.py raises MastodonAPIError subclasses by status and puts
the text in the message; toot prints it). Our own API keeps RFC 9457 problem details: the two
APIs share the domain errors (socialapp.common.errors) and differ only in how they are written.
Validation errors are 422 with Mastodon's "Validation failed: ..." wording, as Rails sends them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from socialapp.common.errors import DomainError, ValidationFailed, error_headers

NOT_FOUND = "Record not found"
INVALID_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"


class OutOfScope(drf.PermissionDenied):
    default_detail = OUT_OF_SCOPE


def _validation_text(errors: Any) -> str:
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            text = " ".join(str(m) for m in (messages if isinstance(messages, list) else [messages]))
            parts.append(text if field in ("non_field_errors", "detail") else f"{field.capitalize()} {text}")
        return "Validation failed: " + ", ".join(parts)
    if isinstance(errors, list):
        return "Validation failed: " + ", ".join(str(e) for e in errors)
    return f"Validation failed: {errors}"


def error_body(status: int, detail: str) -> dict[str, str]:
    return {"error": detail}


def mastodon_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler for Mastodon views (`MastodonView.get_exception_handler`)."""
    if isinstance(exc, ValidationFailed):
        return Response({"error": _validation_text(exc.errors or exc.detail)}, status=422)
    if isinstance(exc, DomainError):
        detail = NOT_FOUND if exc.status == 404 else exc.detail
        headers = error_headers(exc, challenge='Bearer error="invalid_token"')
        return Response({"error": detail}, status=exc.status, headers=headers)
    if isinstance(exc, Http404):
        exc = drf.NotFound(NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response  # a 500: a bug, not a shape
    if isinstance(exc, drf.ValidationError):
        response.status_code = 422
        response.data = {"error": _validation_text(exc.detail)}
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        response.status_code = 401
        response.data = {"error": INVALID_TOKEN}
    elif isinstance(exc, drf.NotFound):
        response.data = {"error": NOT_FOUND}
    elif isinstance(exc, drf.Throttled):
        response.data = {"error": "Too many requests"}
    else:
        response.data = {"error": str(exc.detail)}
    return response


@csrf_exempt
def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last Mastodon route: any unmatched path under /api/v1/ or /api/v2/."""
    return JsonResponse({"error": NOT_FOUND}, status=404)
