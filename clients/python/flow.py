"""A short flow through the Python client that openapi-python-client generates from the live
schema (devkit/clients.py puts the package `socialapp_client` on PYTHONPATH):

    python flow.py http://127.0.0.1:8000

Two users register (a second registration of the same name is a 409 problem, read as the
`Problem` model), bob follows ann (ann's profile and notifications show it), ann posts, bob
reads his home feed and searches with the post's X-Consistency-Token (the read waits until the
write reached that read model: no polling, but for search's refresh interval), ann deletes the
post and a read with the delete's token is a 404 problem. Exits non-zero, saying which step
failed and what the server answered, when anything differs. mypy --strict checks this file
against the generated package: a schema change that breaks a call here fails the check before
the flow runs.
"""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any, TypeVar

from socialapp_client import AuthenticatedClient, Client
from socialapp_client.api.accounts import api_socialapp_v1_auth_register_create as register
from socialapp_client.api.notifications import notifications_list
from socialapp_client.api.posts import api_socialapp_v1_posts_create as create_post
from socialapp_client.api.posts import api_socialapp_v1_posts_destroy as delete_post
from socialapp_client.api.posts import posts_retrieve as get_post
from socialapp_client.api.search import api_socialapp_v1_search_posts_retrieve as search_posts
from socialapp_client.api.timelines import feed_home
from socialapp_client.api.users import api_socialapp_v1_users_follow_update as follow
from socialapp_client.api.users import users_retrieve
from socialapp_client.models import (
    FollowOut,
    KindEnum,
    NotificationPageOut,
    PostInRequest,
    PostOut,
    PostSearchPageOut,
    Problem,
    PublicPostPageOut,
    PublicProfileOut,
    RegisteredOut,
    RegisterInRequest,
)
from socialapp_client.types import Response

TOKEN = "X-Consistency-Token"
SATISFIED = "X-Consistency-Satisfied"
SEARCH_REFRESH_WAIT = 10.0  # seconds; ten refresh intervals
M = TypeVar("M")


class FlowError(Exception):
    pass


def parsed(response: Response[Any], model: type[M], step: str) -> M:
    """The response's body as `model`, or a FlowError with the status and the body (a problem's
    `type`, `detail` and `errors` when the server answered one)."""
    if isinstance(response.parsed, model):
        return response.parsed
    body = response.parsed if isinstance(response.parsed, Problem) else response.content.decode(errors="replace")
    raise FlowError(f"{step}: expected {model.__name__}, got HTTP {int(response.status_code)}: {body}")


def consistency_token(response: Response[Any], step: str) -> str:
    token = response.headers.get(TOKEN)
    if not token:
        raise FlowError(f"{step}: no {TOKEN} header on the command's answer")
    return token


def satisfied(response: Response[Any], step: str) -> None:
    """A read sent with a token says whether the wait ended with the write applied."""
    if response.headers.get(SATISFIED) != "true":
        raise FlowError(f"{step}: {SATISFIED} is {response.headers.get(SATISFIED)!r}, not 'true'")


def sign_up(anonymous: Client, base_url: str, username: str) -> tuple[RegisteredOut, AuthenticatedClient]:
    response = register.sync_detailed(
        client=anonymous,
        body=RegisterInRequest(username=username, email=f"{username}@example.org", password=uuid.uuid4().hex),
    )
    account = parsed(response, RegisteredOut, f"register {username}")
    return account, AuthenticatedClient(base_url=base_url, token=account.token, raise_on_unexpected_status=True)


def main(base_url: str) -> None:
    run = uuid.uuid4().hex[:8]
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    ann, as_ann = sign_up(anonymous, base_url, f"py_ann_{run}")
    bob, as_bob = sign_up(anonymous, base_url, f"py_bob_{run}")
    print(f"registered {ann.username} ({ann.id}) and {bob.username} ({bob.id})")

    again = register.sync_detailed(
        client=anonymous, body=RegisterInRequest(username=ann.username, email="other@example.org", password="x" * 12)
    )
    problem = parsed(again, Problem, "register a taken name")
    errors = problem.errors.additional_properties if problem.errors else {}
    if problem.status != 409 or "username" not in errors:
        raise FlowError(f"register a taken name: expected a 409 naming username, got {problem}")
    print(f"a taken name: {problem.status} {problem.type_}: {problem.detail}")

    followed = follow.sync_detailed(ann.username, client=as_bob)
    if not parsed(followed, FollowOut, "bob follows ann").following:
        raise FlowError("bob follows ann: `following` is false")
    follow_token = consistency_token(followed, "follow")
    feed = feed_home.sync_detailed(client=as_bob, x_consistency_token=follow_token)
    parsed(feed, PublicPostPageOut, "bob's feed after the follow")
    satisfied(feed, "bob's feed after the follow")
    seen = users_retrieve.sync_detailed(ann.username, client=as_bob, x_consistency_token=follow_token)
    profile = parsed(seen, PublicProfileOut, "ann's profile as bob")
    if not profile.followed_by_me or profile.follower_count != 1:
        raise FlowError(
            f"ann's profile as bob: followed_by_me {profile.followed_by_me}, {profile.follower_count} followers"
        )
    told = notifications_list.sync_detailed(client=as_ann, x_consistency_token=follow_token)
    notes = parsed(told, NotificationPageOut, "ann's notifications").results
    if [(note.kind, note.actor.username) for note in notes] != [(KindEnum.FOLLOW, bob.username)]:
        raise FlowError(f"ann's notifications: expected bob's follow, got {[note.to_dict() for note in notes]}")
    print("bob follows ann (read back with the follow's token: bob's feed, ann's profile, ann's notifications)")

    word = f"pyflow{run}"
    created = create_post.sync_detailed(client=as_ann, body=PostInRequest(body=f"Hello from Python, {word} #clients"))
    post = parsed(created, PostOut, "ann posts")
    posted = consistency_token(created, "ann posts")
    print(f"ann posted {post.id}")

    feed = feed_home.sync_detailed(client=as_bob, x_consistency_token=posted)
    page = parsed(feed, PublicPostPageOut, "bob's feed with the post's token")
    satisfied(feed, "bob's feed with the post's token")
    if post.id not in [entry.id for entry in page.results]:
        raise FlowError(f"bob's feed with the post's token: {post.id} missing from {[e.id for e in page.results]}")
    print(f"bob's feed has the post (X-Read-Lag {feed.headers.get('X-Read-Lag')})")

    # Search's token waits until the post was pushed to Elasticsearch; it is searchable after
    # the index's refresh interval (SEARCH_REFRESH_INTERVAL, 1 s): retry briefly (docs/api.md).
    deadline = time.monotonic() + SEARCH_REFRESH_WAIT
    while True:
        found = search_posts.sync_detailed(client=as_bob, q=word, x_consistency_token=posted)
        hits = parsed(found, PostSearchPageOut, "search").results
        satisfied(found, "search")
        if hits or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if [hit.id for hit in hits] != [post.id]:
        raise FlowError(f"search {word!r}: expected [{post.id}], got {[hit.id for hit in hits]}")
    print(f"search {word!r} finds it: {hits[0].snippet}")

    deleted = delete_post.sync_detailed(post.id, client=as_ann)
    if deleted.status_code != 204:
        raise FlowError(f"ann deletes the post: HTTP {int(deleted.status_code)}: {deleted.content!r}")
    gone = get_post.sync_detailed(post.id, client=as_bob, x_consistency_token=consistency_token(deleted, "delete"))
    problem = parsed(gone, Problem, "read the deleted post")
    if problem.status != 404:
        raise FlowError(f"read the deleted post: expected a 404 problem, got {problem}")
    print(f"deleted: reading it is {problem.status} {problem.type_}")
    print("python flow ok")


if __name__ == "__main__":
    try:
        main(sys.argv[1].rstrip("/"))
    except FlowError as exc:
        print(f"python flow FAILED: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
