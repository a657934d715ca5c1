"""The read benchmark's other implementation: the home feed answered by the naive join over the
write tables (follows ⋈ posts, like and comment counts computed by the query), served by the
same process as the product's `GET /api/v1/feed` (bench/urls.py), so only the data access differs.

Everything around the query is the product's: the query side's authentication (session records
in the cache), the same page size, keyset cursor and serializer (`PublicPostOut`), the same
visibility rules (not deleted, author neither deactivated nor suspended). The indexes it uses
are the write model's own: follows (follower, followee) unique, posts (author, id), likes
(post, user) unique, comments (post, id).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connections
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from socialapp.read.common.authentication import CachedSessionAuthentication
from socialapp.read.common.pagination import serve_page
from socialapp.read.feeds.serializers import PublicPostOut

NAIVE_FEED_SQL = """
SELECT p.id AS post_id, p.author_id, u.username AS author_username, u.display_name AS author_display_name, p.body,
  p.hashtags, p.mentions, p.created_at, p.edited_at,
  (SELECT count(*) FROM posts_like l WHERE l.post_id = p.id AND l.active) AS like_count,
  (SELECT count(*) FROM comments_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS comment_count,
  EXISTS (SELECT 1 FROM posts_like l WHERE l.post_id = p.id AND l.user_id = %(r)s AND l.active) AS liked_by_me
FROM posts_post p JOIN accounts_user u ON u.id = p.author_id
WHERE p.deleted_at IS NULL AND u.deactivated_at IS NULL AND u.suspended_at IS NULL
  AND (%(b)s::bigint IS NULL OR p.id < %(b)s)
  AND (p.author_id = %(r)s OR p.author_id IN (
       SELECT f.followee_id FROM follows_follow f WHERE f.follower_id = %(r)s AND f.active))
ORDER BY p.id DESC LIMIT %(n)s
"""


def naive_home_feed(*, reader_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
    """A page of the home feed from the write tables (`default`), newest first."""
    with connections["default"].cursor() as cursor:
        cursor.execute(NAIVE_FEED_SQL, {"r": reader_id, "b": before, "n": limit})
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:  # jsonb comes back as text through Django's connection (as in the read selectors)
        for key in ("hashtags", "mentions"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


class NaiveFeedView(APIView):
    """`GET /bench/naive-feed`: the same page as `GET /api/v1/feed`, from the write tables."""

    authentication_classes = [CachedSessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        reader = request.user.pk
        return serve_page(
            request,
            scope=f"feed:{reader}",
            fetch=lambda page: naive_home_feed(reader_id=reader, before=page.key(0), limit=page.fetch_limit),
            key=lambda r: [r["post_id"]],
            serializer=PublicPostOut,
        )
