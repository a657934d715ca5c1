"""Query views for posts, comments, hashtag timelines and the home feed."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from socialapp.common.errors import NotFound
from socialapp.read.common.conditional import CONDITIONAL_PARAMETERS, NOT_MODIFIED, conditional_rendered
from socialapp.read.common.pagination import PageRequest, since_param
from socialapp.read.common.rendered import serve_rendered_page
from socialapp.read.common.views import (
    CONSISTENCY_PARAMETERS,
    PAGE_PARAMETERS,
    QueryView,
    since_parameter,
    viewer_id,
)
from socialapp.read.feeds import maintenance, selectors
from socialapp.read.feeds.selectors import Rendered
from socialapp.read.feeds.serializers import PublicCommentPageOut, PublicPostOut, PublicPostPageOut
from socialapp.read.profiles.selectors import profile_id

POST_EXAMPLE = {
    "id": "7301234567890123456",
    "author": {"id": "42", "username": "ann", "display_name": "Ann"},
    "body": "Hello #cqrs @bob",
    "hashtags": ["cqrs"],
    "mentions": [{"user_id": "43", "username": "bob"}],
    "created_at": "2026-01-01T12:00:00Z",
    "edited_at": None,
    "like_count": 3,
    "comment_count": 1,
    "liked_by_me": False,
}
POST_PAGE_EXAMPLE = OpenApiExample("A page", value={"results": [POST_EXAMPLE], "next": "eyJhbGciOi...:cursor"})
COMMENT_EXAMPLE = {
    "id": "7301234567890999999",
    "post_id": "7301234567890123456",
    "author": {"id": "43", "username": "bob", "display_name": "Bob"},
    "body": "Nice!",
    "mentions": [],
    "created_at": "2026-01-01T12:01:00Z",
    "edited_at": None,
}


def _post_page(request: Request, scope: str, fetch: Callable[..., list[Rendered]]) -> HttpResponse:
    """A newest-first list of posts keyed by post id; `fetch(before=, limit=)` is the selector."""
    return serve_rendered_page(
        request, scope=scope, fetch=lambda page: fetch(before=page.key(0), limit=page.fetch_limit)
    )


class HomeFeedView(QueryView):
    permission_classes = [IsAuthenticated]
    projectors = ("home_feed", "posts", "relations")

    @extend_schema(
        operation_id="feed_home",
        summary="Your home feed, newest first",
        parameters=[
            *PAGE_PARAMETERS,
            since_parameter(
                "Resume after a stream disconnect: the id of the last post received. Returns the posts newer than it "
                "and the older ones written to your feed since shortly before it was created (a chunked fan-out "
                "delivers an older post late), newest first and paged as usual; drop the ids you already hold. "
                "Send the last event's consistency token as X-Consistency-Token."
            ),
            *CONSISTENCY_PARAMETERS,
        ],
        responses=PublicPostPageOut,
        examples=[POST_PAGE_EXAMPLE],
        tags=["queries"],
    )
    def get(self, request: Request) -> HttpResponseBase:
        reader, since = request.user.pk, since_param(request)
        return _post_page(
            request, f"feed:{reader}", lambda **kw: home_feed_regenerated(reader_id=reader, since=since, **kw)
        )


def home_feed_regenerated(
    *, reader_id: int, before: int | None, limit: int, since: int | None = None
) -> list[Rendered]:
    """The feed selector, with the one write a feed read may cause made explicit: an empty first
    page of a reader whose stored feed is empty (new, or evicted) regenerates it, then reads again."""
    rows = selectors.home_feed(reader_id=reader_id, before=before, limit=limit, since=since)
    if not rows and before is None and maintenance.regenerate_if_empty(reader_id):
        rows = selectors.home_feed(reader_id=reader_id, before=before, limit=limit, since=since)
    return rows


class PostDetailView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("posts", "relations")

    @extend_schema(
        operation_id="posts_retrieve",
        summary="A post, with whether you liked it",
        parameters=[*CONSISTENCY_PARAMETERS, *CONDITIONAL_PARAMETERS],
        responses={200: PublicPostOut, 304: NOT_MODIFIED},
        examples=[OpenApiExample("A post", value=POST_EXAMPLE)],
        tags=["queries"],
    )
    def get(self, request: Request, post_id: int) -> HttpResponseBase:
        post = selectors.post_detail(post_id=post_id, viewer_id=viewer_id(request))
        if post is None:
            raise NotFound("No such post.")
        version, document = post
        return conditional_rendered(request, version=version, document=document.encode(), serializer=PublicPostOut)


class PostCommentsView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("posts", "relations")

    @extend_schema(
        operation_id="posts_comments_list",
        summary="A post's comments, oldest first",
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=PublicCommentPageOut,
        examples=[OpenApiExample("A page", value={"results": [COMMENT_EXAMPLE], "next": None})],
        tags=["queries"],
    )
    def get(self, request: Request, post_id: int) -> HttpResponseBase:
        viewer = viewer_id(request)

        def fetch(page: PageRequest) -> list[Rendered]:
            rows = selectors.post_comments(post_id=post_id, viewer_id=viewer, after=page.key(0), limit=page.fetch_limit)
            if rows is None:
                raise NotFound("No such post.")
            return rows

        return serve_rendered_page(request, scope=f"comments:{post_id}", fetch=fetch)


class UserPostsView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("posts", "profiles", "relations")

    @extend_schema(
        operation_id="users_posts_list",
        summary="A user's posts, newest first",
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=PublicPostPageOut,
        examples=[POST_PAGE_EXAMPLE],
        tags=["queries"],
    )
    def get(self, request: Request, username: str) -> HttpResponseBase:
        author, viewer = profile_id(username=username), viewer_id(request)
        if author is None:
            raise NotFound("No such user.")
        return _post_page(
            request,
            f"user-posts:{author}",
            lambda **kw: selectors.user_posts(author_id=author, viewer_id=viewer, **kw),
        )


class TagPostsView(QueryView):
    permission_classes = [AllowAny]
    projectors = ("posts", "relations")

    @extend_schema(
        operation_id="tags_posts_list",
        summary="The hashtag timeline, newest first",
        parameters=[*PAGE_PARAMETERS, *CONSISTENCY_PARAMETERS],
        responses=PublicPostPageOut,
        examples=[POST_PAGE_EXAMPLE],
        tags=["queries"],
    )
    def get(self, request: Request, tag: str) -> HttpResponseBase:
        viewer = viewer_id(request)
        return _post_page(
            request, f"tag:{tag.lower()}", lambda **kw: selectors.tag_posts(tag=tag, viewer_id=viewer, **kw)
        )
