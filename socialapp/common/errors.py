"""Domain errors and the one place that turns any error into RFC 9457 problem details.

Services raise the domain errors below; they know nothing of HTTP. `problem_exception_handler`
(DRF's EXCEPTION_HANDLER) maps them, DRF's own exceptions and Django's Http404 and
PermissionDenied to one JSON shape:

    {"type": "/problems/validation-error", "title": "...", "status": 400, "detail": "...",
     "errors": {"field": ["message", ...]}}          # errors only for validation
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    """Base of every error a command or query may refuse with."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None):
        self.detail = detail or self.title
        self.errors = errors
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    status, code, title = 400, "validation-error", "Invalid input"

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, errors={field: [message]})


class InvalidCredentials(DomainError):
    """Wrong username or password (401, with a `WWW-Authenticate: Bearer` challenge)."""

    status, code, title = 401, "authentication-failed", "Authentication failed"


class NotAuthorized(DomainError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class ServiceUnavailable(DomainError):
    """A dependency is down (the session cache, Elasticsearch): 503 with `Retry-After`."""

    status, code, title = 503, "service-unavailable", "Service unavailable"
    retry_after = 5  # seconds: outages of the cache or Elasticsearch are not expected to be shorter


def error_headers(exc: DomainError, challenge: str = "Bearer") -> dict[str, str] | None:
    """The headers a domain error's answer carries, in both APIs: the 401 challenge, and
    `Retry-After` where the error says when to retry (503)."""
    headers = {"WWW-Authenticate": challenge} if exc.status == 401 else {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return headers or None


_DRF_CODES: dict[type[drf.APIException], tuple[str, str]] = {
    drf.ValidationError: ("validation-error", "Invalid input"),
    drf.ParseError: ("malformed-request", "Malformed request"),
    drf.NotAuthenticated: ("not-authenticated", "Authentication required"),
    drf.AuthenticationFailed: ("authentication-failed", "Authentication failed"),
    drf.PermissionDenied: ("forbidden", "Not allowed"),
    drf.NotFound: ("not-found", "Not found"),
    drf.MethodNotAllowed: ("method-not-allowed", "Method not allowed"),
    drf.NotAcceptable: ("not-acceptable", "Not acceptable"),
    drf.UnsupportedMediaType: ("unsupported-media-type", "Unsupported media type"),
    drf.Throttled: ("rate-limited", "Too many requests"),
}


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors in dicts and lists; problem details carry `field.path -> messages`."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "non_field_errors" if key == "non_field_errors" else str(key)
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(errors, list) and errors and all(not isinstance(e, (dict, list)) for e in errors):
        out[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            out.update(_flatten(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "non_field_errors"] = [str(errors)]
    return out


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            problem(exc.status, exc.code, exc.title, exc.detail, errors=exc.errors),
            status=exc.status,
            content_type=PROBLEM_CONTENT_TYPE,
            headers=error_headers(exc),
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response  # not ours to map: a 500, which is a bug
    code, title = next((pair for klass, pair in _DRF_CODES.items() if isinstance(exc, klass)), ("error", "Error"))
    errors = None
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
    else:
        detail = str(exc.detail)
    response.data = problem(response.status_code, code, title, detail, errors=errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _json_problem(status: int, code: str, title: str, detail: str) -> JsonResponse:
    return JsonResponse(problem(status, code, title, detail), status=status, content_type=PROBLEM_CONTENT_TYPE)


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's handler404, so that unknown URLs answer in the same shape."""
    # An identifier a path converter refused (socialapp/common/converters.py) lands here too;
    # the echoed path is bounded, since it may be arbitrarily long garbage.
    path = request.path if len(request.path) <= 200 else request.path[:200] + "…"
    return _json_problem(404, "not-found", "Not found", f"No route for {path}")


@csrf_exempt
def api_not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last API route: any method on a path under /api/ that nothing else matched (a path
    parameter a converter refused included). Unlike handler404, it answers problem JSON with
    DEBUG on too (`make run`), where Django would otherwise render its HTML debug page."""
    return not_found_view(request)


def server_error_view(request: HttpRequest) -> JsonResponse:
    return _json_problem(500, "server-error", "Server error", "An unexpected error occurred")


def bad_request_view(
    request: HttpRequest, exception: Exception | None = None, *, detail: str | None = None
) -> JsonResponse:
    """Django's handler400 (and RejectNulMiddleware's answer). A body over
    DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises RequestDataTooBig as the body is read, on either
    API) is 413 Content Too Large (RFC 9110 15.5.14), in this one shape on both APIs."""
    if detail is None and isinstance(exception, RequestDataTooBig):
        size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _json_problem(
            413, "content-too-large", "Content too large", f"The request body is too large (at most {size} bytes)."
        )
    return _json_problem(400, "bad-request", "Bad request", detail or "The request could not be understood")


def permission_denied_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_problem(403, "forbidden", "Not allowed", "You may not do that")
