"""Mastodon instance queries: `/api/v1/instance`, `/api/v2/instance`, custom emojis, preferences.

The version we advertise, "4.2.0 (compatible; socialapp 1.0)", is a decision, not decoration:
clients pick endpoints by it.

- Mastodon.py 2.3.3 (`utility.retrieve_mastodon_version`) reads `version` from
  `GET /api/v1/instance/` (with the slash), keeps what is before the first space (the
  "(compatible; ...)" suffix is ignored, as for Pleroma-likes) and parses major.minor.patch; every
  `@api_version` method below that version raises MastodonVersionError before sending anything.
  It then reads `api_versions.mastodon` from `GET /api/v2/instance/`, and warns ("detected as >=
  4.3.0, but no API version found") when the version is 4.3 or more without it. Features by
  version it switches on: v2 search at >= 2.4.1, `min_id` paging (Link `rel="prev"` with min_id)
  at >= 2.6.0, `POST /notifications/:id/dismiss` at >= 2.9.2, the status `card` field instead of
  `/statuses/:id/card` at >= 3.0.0, notification `types[]` at >= 3.5.0, `instance()` returning
  the v2 document at >= 4.0.0. We serve all of those shapes.
- 4.3 brought grouped notifications (`/api/v2/notifications`) and the `api_versions` contract;
  claiming it would invite clients to call what we do not serve, so we stay at 4.2.0 and send
  no `api_versions` (Mastodon.py's check then stays silent).
- toot 0.52.1 calls `GET /api/v1/instance` (no slash), reads `configuration.statuses.
  max_characters` for its composer (ours: socialapp.common.text.BODY_MAX_LENGTH) and decides
  whether to offer translation from a top-level `translation.enabled`, else from the major
  version (>= 4 means yes): v1 therefore carries `translation: {"enabled": false}`, as v2 carries
  it under `configuration`, so no client offers a translation we cannot do.

The instance extras clients call (Mastodon.py's instance_rules/_peers/_activity/
_extended_description/_languages/_translation_languages/_health, all at or below 4.2) answer as
Mastodon 4.2 does with nothing configured (`languages`: the ISO 639-1 codes statuses may be
posted in, socialapp.common.languages): no rules, no peers (we federate with nobody), no
translation; the activity buckets are counted from the read models (see `activity`), and
`GET /health` is Mastodon's plain `OK` (our own probes stay `/healthz` and `/readyz`).

Streaming: `urls.streaming_api` (v1) and `configuration.urls.streaming` (v2) name the streaming
server (`web-streaming`, docs/streaming.md) as Mastodon does, a `ws://` or `wss://` origin: the
STREAMING_API_URL setting when set (`make run` points it at the streaming process's own port),
else the request's own origin with its scheme turned into ws/wss (a proxy in front routes
/api/v1/streaming* there, docker/nginx.conf). Mastodon.py turns it back into http(s) for SSE and
appends /api/v1/streaming for its WebSocket transport. No media: `max_media_attachments` is 0 and no MIME
type is supported. Registrations are open through this API (`POST /api/v1/accounts` with an app
token, no approval) unless MASTODON_REGISTRATIONS_OPEN is false.
Counts come from the profile read model (visible accounts, the posts they have live).
"""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe
from rest_framework.request import Request
from rest_framework.response import Response

from socialapp.common.ids import min_id_for
from socialapp.common.languages import ISO_639_1
from socialapp.common.text import BODY_MAX_LENGTH
from socialapp.mastodon.common.dispatch import by_method
from socialapp.mastodon.common.entities import DEFAULT_AVATAR
from socialapp.mastodon.queries.base import QueryView
from socialapp.mastodon.queries.rows import ACCOUNT_VISIBLE, base_url
from socialapp.read.common.sql import fetchall, fetchone
from socialapp.read.common.visibility import comment_live, post_live

# The activity buckets count statuses, they list none: every live status counts, whatever its
# visibility (as Mastodon counts its local statuses), and a comment while its post is live.
POST_COUNTED = post_live("p")
COMMENT_COUNTED = (
    f"{comment_live('c')} AND EXISTS (SELECT 1 FROM read_post p WHERE p.post_id = c.post_id AND {post_live('p')})"
)

MASTODON_VERSION = "4.2.0"
VERSION = f"{MASTODON_VERSION} (compatible; socialapp 1.0)"
SOURCE_URL = "https://github.com/socialapp/socialapp"


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


def _registrations_open() -> bool:
    """Registration through an app (`POST /api/v1/accounts`), never with approval: the command
    route reads the same setting, so the documents tell what the route does."""
    return bool(getattr(settings, "MASTODON_REGISTRATIONS_OPEN", True))


def _stats() -> dict[str, int]:
    """Visible accounts, and the posts they have live (one scan of read_profile)."""
    row = fetchone(f"SELECT count(*), COALESCE(sum(pr.post_count), 0) FROM read_profile pr WHERE {ACCOUNT_VISIBLE}")
    users, statuses = row if row else (0, 0)
    return {"user_count": int(users), "status_count": int(statuses), "domain_count": 0}


def _statuses_configuration() -> dict[str, int]:
    return {"max_characters": BODY_MAX_LENGTH, "max_media_attachments": 0, "characters_reserved_per_url": 23}


MEDIA_CONFIGURATION: dict[str, Any] = {
    "supported_mime_types": [],
    "image_size_limit": 0,
    "image_matrix_limit": 0,
    "video_size_limit": 0,
    "video_frame_rate_limit": 0,
    "video_matrix_limit": 0,
}
POLLS_CONFIGURATION = {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0}


def streaming_url(request: Request) -> str:
    """Where clients open their streams: the configured origin, else this request's own as ws/wss
    (the same host serves the streams through the proxy)."""
    configured = str(getattr(settings, "STREAMING_API_URL", "") or "").rstrip("/")
    if configured:
        return configured
    root = base_url(request)
    return (
        ("wss://" + root.removeprefix("https://"))
        if root.startswith("https://")
        else "ws://" + root.removeprefix("http://")
    )


def _common(request: Request) -> dict[str, Any]:
    return {
        "title": _setting("MASTODON_INSTANCE_TITLE", "socialapp"),
        "description": _setting("MASTODON_INSTANCE_DESCRIPTION", "A socialapp server."),
        "version": VERSION,
        "languages": ["en"],
        "rules": [],
    }


def instance_v1(request: Request) -> dict[str, Any]:
    host, root = request.get_host(), base_url(request)
    description = _setting("MASTODON_INSTANCE_DESCRIPTION", "A socialapp server.")
    return {
        "uri": host,
        **_common(request),
        "short_description": description,
        "email": _setting("MASTODON_INSTANCE_CONTACT_EMAIL", ""),
        "urls": {"streaming_api": streaming_url(request)},
        "stats": _stats(),
        "thumbnail": root + DEFAULT_AVATAR,
        "registrations": _registrations_open(),
        "approval_required": False,
        "invites_enabled": False,
        "translation": {"enabled": False},  # toot reads it here (see the module docstring)
        "configuration": {
            "accounts": {"max_featured_tags": 0},
            "statuses": _statuses_configuration(),
            "media_attachments": MEDIA_CONFIGURATION,
            "polls": POLLS_CONFIGURATION,
        },
        "contact_account": None,
    }


def instance_v2(request: Request) -> dict[str, Any]:
    host, root = request.get_host(), base_url(request)
    return {
        "domain": host,
        **_common(request),
        "source_url": SOURCE_URL,
        "usage": {"users": {"active_month": _stats()["user_count"]}},
        "thumbnail": {"url": root + DEFAULT_AVATAR},
        "icon": [],
        "configuration": {
            "urls": {
                "streaming": streaming_url(request),
                "status": None,
                "about": None,
                "privacy_policy": None,
                "terms_of_service": None,
            },
            "vapid": {"public_key": None},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
            "statuses": _statuses_configuration(),
            "media_attachments": {**MEDIA_CONFIGURATION, "description_limit": 0},
            "polls": POLLS_CONFIGURATION,
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": _registrations_open(), "approval_required": False, "message": None, "url": None},
        "contact": {"email": _setting("MASTODON_INSTANCE_CONTACT_EMAIL", ""), "account": None},
    }


class InstanceV1View(QueryView):
    """GET /api/v1/instance (public)."""

    def get(self, request: Request) -> Response:
        return Response(instance_v1(request))


class InstanceV2View(QueryView):
    """GET /api/v2/instance (public)."""

    def get(self, request: Request) -> Response:
        return Response(instance_v2(request))


class CustomEmojisView(QueryView):
    """GET /api/v1/custom_emojis: we have none."""

    answers_list = True  # an array in the OpenAPI document

    def get(self, request: Request) -> Response:
        return Response([])


class PreferencesView(QueryView):
    """GET /api/v1/preferences: fixed, since every status is public and nothing is collapsed
    (toot's TUI reads it at start)."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        return Response(
            {
                "posting:default:visibility": "public",
                "posting:default:sensitive": False,
                "posting:default:language": None,
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
                "reading:autoplay_gifs": False,
            }
        )


WEEKS = 12
ACTIVITY_CACHE_KEY, ACTIVITY_CACHE_SECONDS = "mastodon:instance:activity", 600
# A status's bucket: Mastodon's bucket i sums the days from i weeks ago to six days later, so
# today is bucket 0 alone, yesterday to a week ago bucket 1, and so on (day boundaries in UTC).
_BUCKET = "((%(today)s::date - ({col} AT TIME ZONE 'UTC')::date) + 6) / 7"


def _weekly(sql: str, col: str, params: dict[str, Any]) -> dict[int, int]:
    rows = fetchall(sql.format(bucket=_BUCKET.format(col=col)), params)
    return {int(bucket): int(count) for bucket, count in rows}


def activity(now: datetime | None = None) -> list[dict[str, str]]:
    """Mastodon's `/api/v1/instance/activity`: 12 weekly buckets, newest first, every value a
    string. `statuses`: posts and comments created in the bucket that still show; `registrations`:
    accounts registered in it; `logins`: "0" (no read model records logins). Statuses are found by
    an id range first (ids begin with their creation time, socialapp/common/ids.py), so the scan
    is the primary keys of the last twelve weeks, not the whole table; cached for ten minutes."""
    if now is None:
        with contextlib.suppress(Exception):  # a cache that is down only costs the queries
            cached = cache.get(ACTIVITY_CACHE_KEY)
            if cached is not None:
                return cached
    moment = now or datetime.now(UTC)
    today = moment.astimezone(UTC).date()
    oldest = datetime.combine(today - timedelta(days=7 * (WEEKS - 1)), datetime.min.time(), tzinfo=UTC)
    params = {"today": today, "since": oldest, "since_id": min_id_for(oldest), "weeks": WEEKS}
    posts = _weekly(
        "SELECT {bucket} AS b, count(*) FROM read_post p WHERE p.post_id >= %(since_id)s"
        f" AND p.created_at >= %(since)s AND {POST_COUNTED} GROUP BY b",
        "p.created_at",
        params,
    )
    comments = _weekly(
        "SELECT {bucket} AS b, count(*) FROM read_comment c WHERE c.comment_id >= %(since_id)s"
        f" AND c.created_at >= %(since)s AND {COMMENT_COUNTED} GROUP BY b",
        "c.created_at",
        params,
    )
    registrations = _weekly(
        "SELECT {bucket} AS b, count(*) FROM read_profile pr WHERE pr.registered_at >= %(since)s GROUP BY b",
        "pr.registered_at",
        params,
    )
    out = []
    for week in range(WEEKS):
        start = datetime.combine(today - timedelta(days=7 * week), datetime.min.time(), tzinfo=UTC)
        out.append(
            {
                "week": str(int(start.timestamp())),
                "statuses": str(posts.get(week, 0) + comments.get(week, 0)),
                "logins": "0",
                "registrations": str(registrations.get(week, 0)),
            }
        )
    if now is None:
        with contextlib.suppress(Exception):
            cache.set(ACTIVITY_CACHE_KEY, out, ACTIVITY_CACHE_SECONDS)
    return out


class RulesView(QueryView):
    """GET /api/v1/instance/rules: no server rules are configured."""

    answers_list = True

    def get(self, request: Request) -> Response:
        return Response([])


class PeersView(QueryView):
    """GET /api/v1/instance/peers: the domains we federate with; none."""

    answers_list = True

    def get(self, request: Request) -> Response:
        return Response([])


class ActivityView(QueryView):
    """GET /api/v1/instance/activity: weekly statuses and registrations (see `activity`)."""

    answers_list = True

    def get(self, request: Request) -> Response:
        return Response(activity())


class ExtendedDescriptionView(QueryView):
    """GET /api/v1/instance/extended_description: `MASTODON_INSTANCE_EXTENDED_DESCRIPTION` (plain
    text, one paragraph per blank-line-separated block), else empty content and a null
    `updated_at`, as Mastodon answers when none is set (we do not know when a setting changed)."""

    def get(self, request: Request) -> Response:
        text = _setting("MASTODON_INSTANCE_EXTENDED_DESCRIPTION", "").strip()
        blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
        content = "".join(f"<p>{html.escape(block)}</p>" for block in blocks)
        return Response({"updated_at": None, "content": content})


class LanguagesView(QueryView):
    """GET /api/v1/instance/languages (Mastodon 4.0+): the languages a status may be posted in,
    as Mastodon lists its own (clients fill their language pickers from it): every ISO 639-1
    code `POST /api/v1/statuses` takes (socialapp.common.languages), with its English name."""

    answers_list = True

    def get(self, request: Request) -> Response:
        return Response([{"code": code, "name": name} for code, name in ISO_639_1.items()])


class TranslationLanguagesView(QueryView):
    """GET /api/v1/instance/translation_languages: no translation backend, so no pairs."""

    def get(self, request: Request) -> Response:
        return Response({})


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """GET /health: Mastodon's liveness answer, the text `OK` (Mastodon.py's instance_health accepts
    "OK" or "success"). Like Mastodon's, it says the process answers and checks nothing else;
    `/readyz` is the probe that checks the services."""
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


_v1 = by_method(get=InstanceV1View.as_view())
_v2 = by_method(get=InstanceV2View.as_view())

urlpatterns = [
    path("api/v1/instance", _v1, name="mastodon-instance"),
    path("api/v1/instance/", _v1),  # Mastodon.py asks with the slash, toot without
    path("api/v2/instance", _v2, name="mastodon-instance-v2"),
    path("api/v2/instance/", _v2),
    path("api/v1/custom_emojis", by_method(get=CustomEmojisView.as_view()), name="mastodon-custom-emojis"),
    path("api/v1/preferences", by_method(get=PreferencesView.as_view()), name="mastodon-preferences"),
    path("api/v1/instance/rules", by_method(get=RulesView.as_view()), name="mastodon-instance-rules"),
    path("api/v1/instance/peers", by_method(get=PeersView.as_view()), name="mastodon-instance-peers"),
    path("api/v1/instance/activity", by_method(get=ActivityView.as_view()), name="mastodon-instance-activity"),
    path(
        "api/v1/instance/extended_description",
        by_method(get=ExtendedDescriptionView.as_view()),
        name="mastodon-instance-extended-description",
    ),
    path("api/v1/instance/languages", by_method(get=LanguagesView.as_view()), name="mastodon-instance-languages"),
    path(
        "api/v1/instance/translation_languages",
        by_method(get=TranslationLanguagesView.as_view()),
        name="mastodon-instance-translation-languages",
    ),
    path("health", health, name="mastodon-health"),
]
