"""The read benchmark's other implementation: the home feed answered by the naive join over the
write tables (follows ⋈ posts, like and comment counts computed by the query), served by the
same process as the product's `GET /api/socialapp/v1/feed` (bench/urls.py), so only the data access differs.

Everything around the query is the product's: the query side's authentication (session records
in the cache), the same page size, keyset cursor and rendering (PostgreSQL builds each item's
JSON with the product's own `iso_datetime`/`mentions_json`; `serve_rendered_page` joins the
bytes), the same
visibility rules (not deleted, author neither deactivated nor suspended; no direct post by
following alone, nothing across a block or from a muted author: docs/privacy.md). The indexes it uses
are the write model's own: follows (follower, followee) unique, posts (author, id), likes
(post, user) unique, comments (post, id).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.http import HttpResponse
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from socialapp.read.common.authentication import LocallyCachedSessionAuthentication
from socialapp.read.common.rendered import iso_datetime, mentions_json, serve_rendered_page

NAIVE_FEED_SQL = f"""
SELECT p.id, json_build_object('id', p.id::text, 'author', json_build_object('id', p.author_id::text,
    'username', u.username, 'display_name', u.display_name), 'body', p.body,
  'hashtags', to_json(p.hashtags), 'mentions', {mentions_json("p.mentions")}, 'visibility', p.visibility,
  'created_at', {iso_datetime("p.created_at")}, 'edited_at', {iso_datetime("p.edited_at")},
  'like_count', (SELECT count(*) FROM posts_like l WHERE l.post_id = p.id AND l.active),
  'comment_count', (SELECT count(*) FROM comments_comment c WHERE c.post_id = p.id AND c.deleted_at IS NULL),
  'liked_by_me', EXISTS (SELECT 1 FROM posts_like l WHERE l.post_id = p.id AND l.user_id = %(r)s AND l.active)
  )::text
FROM posts_post p JOIN accounts_user u ON u.id = p.author_id
WHERE p.deleted_at IS NULL AND u.deactivated_at IS NULL AND u.suspended_at IS NULL
  AND (%(b)s::bigint IS NULL OR p.id < %(b)s)
  AND (p.author_id = %(r)s OR (p.visibility <> 'direct' AND p.author_id IN (
       SELECT f.followee_id FROM follows_follow f WHERE f.follower_id = %(r)s AND f.active)
     AND NOT EXISTS (SELECT 1 FROM relations_block b WHERE b.active AND ((b.blocker_id = %(r)s
       AND b.blocked_id = p.author_id) OR (b.blocker_id = p.author_id AND b.blocked_id = %(r)s)))
     AND NOT EXISTS (SELECT 1 FROM relations_mute m WHERE m.active AND m.muter_id = %(r)s
       AND m.muted_id = p.author_id AND (m.expires_at IS NULL OR m.expires_at > now()))))
ORDER BY p.id DESC LIMIT %(n)s
"""


def naive_home_feed(*, reader_id: int, before: int | None, limit: int) -> list[tuple[Any, ...]]:
    """A page of the home feed from the write tables (`default`), newest first: (post id, JSON text)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(NAIVE_FEED_SQL, {"r": reader_id, "b": before, "n": limit})
        return cursor.fetchall()


class NaiveFeedView(APIView):
    """`GET /bench/naive-feed`: the same page as `GET /api/socialapp/v1/feed`, from the write tables."""

    authentication_classes = [LocallyCachedSessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> HttpResponse:
        reader = request.user.pk
        return serve_rendered_page(
            request,
            scope=f"feed:{reader}",
            fetch=lambda page: naive_home_feed(reader_id=reader, before=page.key(0), limit=page.fetch_limit),
        )
