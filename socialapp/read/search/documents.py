"""The Elasticsearch documents (`_source`) of visible posts, users and hashtags, built in Python.

One place says what a document holds, so the projector's flush (sync.py), a rebuild's copy and
the benchmarks' seeding produce the same documents. Everything derived from the text is computed
here, per document (one library call for the text, not Python loops per word where avoidable):
folding (folding.py), the post's language (the client's, else lingua's guess, else the default)
and the Snowball stems in that language (language.py), and the `has` facets. The language is
resolved when the document is built, not stored resolved in the state, so changing
SEARCH_LANGUAGES or the confidence threshold takes effect at the next `search rebuild`.

Cost (docs/search.md, "Indexes, mappings and analysis"): detection is most of it, about 0.5 µs
per character, so lingua sees the body without links, mentions and hashtags (noise for a
language model) and at most DETECT_CHARS of it. A post's document is built again whenever its
counts change (every like), so the text-derived fields of recently built bodies are cached
(`_text_fields`): a re-push costs a cache lookup, not a detection.

Hidden things are tombstones (`tombstone`): no text at all, so a document Elasticsearch has not
caught up on never shows what was deleted or deactivated.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings

from socialapp.read.search import language as lang
from socialapp.read.search.folding import fold

# A link as the `has:link` facet sees it: an http(s) URL anywhere in the body (the body is plain
# text, links are not marked up).
_LINK = re.compile(r"\bhttps?://\S", re.IGNORECASE)
# What lingua should not see: links, @mentions and #hashtags (names, not sentences).
_NOT_LANGUAGE = re.compile(r"\bhttps?://\S*|[@#]\w[\w.@-]*", re.IGNORECASE)
#: Characters of a body lingua looks at: enough to tell the languages apart (a post is at most
#: 500), and it bounds the cost of detection, which grows with the length.
DETECT_CHARS = 200


def detection_text(body: str) -> str:
    """The part of `body` language detection looks at."""
    return _NOT_LANGUAGE.sub(" ", body)[:DETECT_CHARS]


#: Text-derived fields of recently built bodies: (body, given language, language settings) ->
#: (body_folded, body_stemmed, language). The settings are part of the key only, so a settings
#: change is never answered from the cache.
_fields: OrderedDict[tuple[str, str, tuple[Any, ...]], tuple[str, str, str]] = OrderedDict()
_FIELDS_CACHED = 4096
_fields_lock = threading.Lock()


def _text_fields(body: str, given: str, config: tuple[Any, ...]) -> tuple[str, str, str]:
    """(body_folded, body_stemmed, language) of a body, from the cache when it was built lately."""
    key = (body, given, config)
    with _fields_lock:
        found = _fields.get(key)
        if found is not None:
            _fields.move_to_end(key)
            return found
    code = lang.document_language(given or None, detection_text(body))
    return _remember(key, code)


def _remember(key: tuple[str, str, tuple[Any, ...]], code: str) -> tuple[str, str, str]:
    body = key[0]
    fields = (fold(body), lang.stem_text(body, code), code)
    with _fields_lock:
        _fields[key] = fields
        if len(_fields) > _FIELDS_CACHED:
            _fields.popitem(last=False)
    return fields


def prepare_posts(posts: Iterable[tuple[str, str]]) -> None:
    """Build the text fields of the posts (body, given language) about to become documents, with
    the detections they need in one call (language.detect_many: in the detector process for a
    push's batch), so that `post_document` then finds them in the cache."""
    config = _language_config()
    with _fields_lock:
        todo = [
            key for key in dict.fromkeys((body, given or "", config) for body, given in posts) if key not in _fields
        ]
    if not todo:
        return
    undetected = [key for key in todo if not key[1]]
    detected = dict(zip(undetected, lang.detect_many([detection_text(key[0]) for key in undetected]), strict=True))
    default = settings.SEARCH_DEFAULT_LANGUAGE
    for key in todo:
        _remember(key, key[1].lower() if key[1] else detected[key] or default)


def clear_cache() -> None:
    """Forget the text fields built so far (a benchmark of cold builds)."""
    with _fields_lock:
        _fields.clear()


def _language_config() -> tuple[Any, ...]:
    return (
        tuple(settings.SEARCH_LANGUAGES),
        settings.SEARCH_DEFAULT_LANGUAGE,
        settings.SEARCH_LANGUAGE_MIN_CONFIDENCE,
    )


def has_facets(body: str, hashtags: list[str], mentions: list[str]) -> list[str]:
    """What `has:` filters on, sorted: hashtag, link, mention."""
    out = []
    if hashtags:
        out.append("hashtag")
    if _LINK.search(body):
        out.append("link")
    if mentions:
        out.append("mention")
    return out


def post_document(
    *,
    post_id: int,
    author_id: int,
    author_username: str,
    author_display_name: str,
    body: str,
    hashtags: list[str],
    mentions: list[str],
    created_at: datetime | str,
    like_count: int,
    comment_count: int,
    visibility: str,
    language: str,
    sensitive: bool,
) -> dict[str, Any]:
    """The `_source` of a visible post. `language` is the one its client gave, "" when none was
    (then lingua decides, else SEARCH_DEFAULT_LANGUAGE); a language without a Snowball stemmer
    gets the folded words in `body_stemmed`. `engagement` = likes + 2 * comments (the ranking's
    engagement term: a comment costs its author more than a like). Comments are not indexed, so
    `is_reply` is always false."""
    folded, stemmed, code = _text_fields(body, language or "", _language_config())
    return {
        "hidden": False,
        "post_id": post_id,
        "author_id": author_id,
        "author_username": author_username.lower(),
        "author_display_name": author_display_name,
        "body": body,
        "body_folded": folded,
        "body_stemmed": stemmed,
        "language": code,
        "has": has_facets(body, hashtags, mentions),
        "is_reply": False,
        "sensitive": bool(sensitive),
        "hashtags": hashtags,
        "mentions": mentions,
        "created_at": created_at,  # a datetime: orjson writes ISO 8601
        "like_count": like_count,
        "comment_count": comment_count,
        "engagement": like_count + 2 * comment_count,
        "visibility": visibility,
    }


def user_document(*, user_id: int, username: str, display_name: str) -> dict[str, Any]:
    """The `_source` of a visible user: folded copies of the names are what queries match."""
    return {
        "hidden": False,
        "user_id": user_id,
        "username": username,
        "username_folded": fold(username),
        "display_name": display_name,
        "display_name_folded": fold(display_name),
    }


def hashtag_document(*, tag: str, post_count: int, last_used_at: datetime | str | None) -> dict[str, Any]:
    """The `_source` of a hashtag some visible public post uses."""
    return {"hidden": False, "tag": tag, "post_count": post_count, "last_used_at": last_used_at}


#: The id field of each kind's documents (a tombstone carries only `hidden` and it).
ID_FIELDS = {"posts": "post_id", "users": "user_id", "hashtags": "tag"}


def tombstone(kind: str, key: Any) -> dict[str, Any]:
    """A hidden document: kept (never deleted) so its external version outlives gc_deletes."""
    return {"hidden": True, ID_FIELDS[kind]: key}
