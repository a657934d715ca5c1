"""A tiny in-memory write model that emits events exactly as docs/events.md describes them.

`World` plays the command side for projection tests: each method changes its own state (the
oracle, i.e. "what the write model implies") and appends the events it would append. Tests
apply `world.events` to the projectors and compare the read models with the oracle.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from socialapp.events.projector import EventMessage

_T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class User:
    id: int
    username: str
    display_name: str
    bio: str = ""
    email: str = ""
    version: int = 1
    active: bool = True
    locked: bool = False


@dataclass
class Post:
    id: int
    author: int
    body: str
    hashtags: list[str]
    mentions: list[int]
    version: int = 1
    deleted: bool = False
    visibility: str = "public"
    audience: list[int] = field(default_factory=list)  # mentions at creation


@dataclass
class Comment:
    id: int
    post: int
    author: int
    body: str
    version: int = 1
    deleted: bool = False
    visibility: str = "public"


@dataclass
class World:
    events: list[EventMessage] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    likes: dict[tuple[int, int], tuple[bool, int]] = field(default_factory=dict)  # (post,user) -> (active, ver)
    follows: dict[tuple[int, int], tuple[bool, int]] = field(default_factory=dict)  # (follower, followee)
    blocks: dict[tuple[int, int], tuple[bool, int]] = field(default_factory=dict)  # (blocker, blocked)
    mutes: dict[tuple[int, int], tuple[bool, int]] = field(default_factory=dict)  # (muter, muted)
    requests: dict[tuple[int, int], tuple[bool, int]] = field(default_factory=dict)  # (follower, followee)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _position: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ------------------------------------------------------------------ plumbing
    def _now(self) -> str:
        return (_T0 + timedelta(seconds=len(self.events))).isoformat()

    def _emit(
        self, event_type: str, agg_type: str, agg_id: str | int, version: int, payload: dict, actor: int | None
    ) -> EventMessage:
        event = EventMessage(
            event_id=uuid.uuid4(),
            position=next(self._position),
            event_type=event_type,
            aggregate_type=agg_type,
            aggregate_id=str(agg_id),
            aggregate_version=version,
            actor_id=actor,
            occurred_at=self._now(),
            schema_version=1,
            payload=payload,
        )
        self.events.append(event)
        return event

    def _snowflake(self) -> int:
        return (1 << 40) + next(self._ids) * 4096

    # ------------------------------------------------------------------ commands
    def register(
        self, username: str, display_name: str | None = None, uid: int | None = None, *, locked: bool | None = None
    ) -> int:
        """`locked` None: an event from before issue 15 (no `locked` key: false)."""
        uid = uid or len(self.users) + 1
        user = User(uid, username, display_name or username.title(), email=f"{username}@example.org")
        user.locked = bool(locked)
        self.users[uid] = user
        payload = {
            "user_id": uid,
            "username": username,
            "display_name": user.display_name,
            "bio": "",
            "registered_at": self._now(),
        }
        if locked is not None:
            payload["locked"] = locked
        self._emit("user.registered", "user", uid, 1, payload, uid)
        return uid

    def update_profile(self, uid: int, display_name: str, bio: str, *, locked: bool | None = None) -> None:
        u = self.users[uid]
        u.version += 1
        u.display_name, u.bio = display_name, bio
        payload: dict = {"user_id": uid, "display_name": display_name, "bio": bio}
        if locked is not None:
            u.locked = locked
            payload["locked"] = locked
        self._emit("profile.updated", "user", uid, u.version, payload, uid)

    def deactivate(self, uid: int) -> None:
        u = self.users[uid]
        u.version += 1
        u.active = False
        self._emit(
            "user.deactivated",
            "user",
            uid,
            u.version,
            {"user_id": uid, "username": u.username, "deactivated_at": self._now(), "by": "self"},
            uid,
        )

    def suspend(self, uid: int) -> None:
        self._suspension(uid, "user.suspended", "suspended_at")

    def unsuspend(self, uid: int) -> None:
        self._suspension(uid, "user.unsuspended", "unsuspended_at")

    def _suspension(self, uid: int, event_type: str, at: str) -> None:
        u = self.users[uid]
        u.version += 1
        self._emit(event_type, "user", uid, u.version, {"user_id": uid, at: self._now()}, None)

    def _parse(self, body: str) -> tuple[list[str], list[dict]]:
        tags: list[str] = []
        for t in re.findall(r"#(\w+)", body):
            if t.lower() not in tags:
                tags.append(t.lower())
        by_name = {u.username.lower(): u for u in self.users.values() if u.active}
        mentions, seen = [], set()
        for name in re.findall(r"@(\w+)", body):
            u = by_name.get(name.lower())
            if u and u.id not in seen:
                seen.add(u.id)
                mentions.append({"user_id": u.id, "username": u.username})
        return tags, mentions

    def post(self, uid: int, body: str, visibility: str | None = None) -> int:
        """`visibility` None: an event from before issue 15 (no `visibility` key: public)."""
        u = self.users[uid]
        pid = self._snowflake()
        tags, mentions = self._parse(body)
        ids = [m["user_id"] for m in mentions]
        self.posts[pid] = Post(pid, uid, body, tags, ids, visibility=visibility or "public", audience=ids)
        payload = {
            "post_id": pid,
            "author_id": uid,
            "author_username": u.username,
            "author_display_name": u.display_name,
            "body": body,
            "hashtags": tags,
            "mentions": mentions,
            "created_at": self._now(),
        }
        if visibility is not None:
            payload["visibility"] = visibility
        self._emit("post.created", "post", pid, 1, payload, uid)
        return pid

    def edit(self, pid: int, body: str) -> None:
        p = self.posts[pid]
        p.version += 1
        tags, mentions = self._parse(body)
        p.body, p.hashtags, p.mentions = body, tags, [m["user_id"] for m in mentions]
        self._emit(
            "post.edited",
            "post",
            pid,
            p.version,
            {
                "post_id": pid,
                "author_id": p.author,
                "body": body,
                "hashtags": tags,
                "mentions": mentions,
                "visibility": p.visibility,
                "edited_at": self._now(),
            },
            p.author,
        )

    def delete(self, pid: int) -> None:
        p = self.posts[pid]
        p.version += 1
        p.deleted = True
        self._emit(
            "post.deleted",
            "post",
            pid,
            p.version,
            {"post_id": pid, "author_id": p.author, "deleted_at": self._now(), "deleted_by": p.author},
            p.author,
        )

    def comment(
        self, uid: int, pid: int, body: str, visibility: str | None = None, in_reply_to: int | None = None
    ) -> int:
        """`visibility` as the command side decides it (the most restricted of it and the post's);
        None and a public post: an event from before issue 15 (no `visibility` key)."""
        u, p = self.users[uid], self.posts[pid]
        cid = self._snowflake()
        _, mentions = self._parse(body)
        order = ("public", "unlisted", "followers", "direct")
        effective = max(visibility or p.visibility, p.visibility, key=order.index)
        self.comments[cid] = Comment(cid, pid, uid, body, visibility=effective)
        payload = {
            "comment_id": cid,
            "post_id": pid,
            "post_author_id": p.author,
            "author_id": uid,
            "author_username": u.username,
            "author_display_name": u.display_name,
            "body": body,
            "mentions": mentions,
            "created_at": self._now(),
        }
        if in_reply_to is not None:
            payload["in_reply_to_id"] = in_reply_to
            payload["in_reply_to_account_id"] = self.comments[in_reply_to].author
        if visibility is not None or p.visibility != "public":
            payload["visibility"] = effective
        self._emit("comment.created", "comment", cid, 1, payload, uid)
        return cid

    def edit_comment(self, cid: int, body: str) -> None:
        c = self.comments[cid]
        c.version += 1
        c.body = body
        _, mentions = self._parse(body)
        self._emit(
            "comment.edited",
            "comment",
            cid,
            c.version,
            {"comment_id": cid, "post_id": c.post, "body": body, "mentions": mentions, "edited_at": self._now()},
            c.author,
        )

    def delete_comment(self, cid: int) -> None:
        c = self.comments[cid]
        c.version += 1
        c.deleted = True
        self._emit(
            "comment.deleted",
            "comment",
            cid,
            c.version,
            {
                "comment_id": cid,
                "post_id": c.post,
                "author_id": c.author,
                "deleted_at": self._now(),
                "deleted_by": c.author,
            },
            c.author,
        )

    def _toggle(self, store: dict, key: tuple[int, int], on: bool) -> int | None:
        active, version = store.get(key, (False, 0))
        if active == on:
            return None  # the command side appends nothing
        store[key] = (on, version + 1)
        return version + 1

    def like(self, uid: int, pid: int, on: bool = True) -> None:
        version = self._toggle(self.likes, (pid, uid), on)
        if version is not None:
            self._emit(
                "post.liked" if on else "post.unliked",
                "like",
                f"{pid}:{uid}",
                version,
                {
                    "post_id": pid,
                    "user_id": uid,
                    "username": self.users[uid].username,
                    "post_author_id": self.posts[pid].author,
                    "at": self._now(),
                },
                uid,
            )

    def follow(self, follower: int, followee: int, on: bool = True) -> None:
        version = self._toggle(self.follows, (follower, followee), on)
        if version is not None:
            self._emit(
                "user.followed" if on else "user.unfollowed",
                "follow",
                f"{follower}:{followee}",
                version,
                {
                    "follower_id": follower,
                    "followee_id": followee,
                    "follower_username": self.users[follower].username,
                    "followee_username": self.users[followee].username,
                    "at": self._now(),
                },
                follower,
            )

    def _relation(self, event_type: str, aggregate: str, key: tuple[int, int], version: int, payload: dict) -> None:
        self._emit(event_type, aggregate, f"{key[0]}:{key[1]}", version, {**payload, "at": self._now()}, key[0])

    def block(self, blocker: int, blocked: int, on: bool = True) -> None:
        """As the block command: `user.blocked`, then `user.unfollowed` for each follow between
        the two and the end of a pending request either way (docs/events.md)."""
        version = self._toggle(self.blocks, (blocker, blocked), on)
        if version is None:
            return
        kind = "user.blocked" if on else "user.unblocked"
        self._relation(kind, "block", (blocker, blocked), version, {"blocker_id": blocker, "blocked_id": blocked})
        if on:
            for a, b in ((blocker, blocked), (blocked, blocker)):
                self.follow(a, b, on=False)
                self.end_request(a, b, "follow.request_withdrawn" if a == blocker else "follow.request_rejected")

    def mute(self, muter: int, muted: int, on: bool = True, notifications: bool = True, expires_at=None) -> None:
        active, version = self.mutes.get((muter, muted), (False, 0))
        if not on and not active:
            return
        self.mutes[(muter, muted)] = (on, version + 1)
        payload: dict = {"muter_id": muter, "muted_id": muted}
        if on:
            payload.update(notifications=notifications, expires_at=expires_at)
        self._relation("user.muted" if on else "user.unmuted", "mute", (muter, muted), version + 1, payload)

    def _request_payload(self, follower: int, followee: int) -> dict:
        return {
            "follower_id": follower,
            "followee_id": followee,
            "follower_username": self.users[follower].username,
            "followee_username": self.users[followee].username,
        }

    def request_follow(self, follower: int, followee: int) -> None:
        """Following a locked account: a request (approved by `approve`)."""
        version = self._toggle(self.requests, (follower, followee), True)
        if version is not None:
            payload = self._request_payload(follower, followee)
            self._relation("follow.requested", "follow_request", (follower, followee), version, payload)

    def end_request(self, follower: int, followee: int, event_type: str) -> None:
        version = self._toggle(self.requests, (follower, followee), False)
        if version is not None:
            payload = self._request_payload(follower, followee)
            self._relation(event_type, "follow_request", (follower, followee), version, payload)

    def approve(self, follower: int, followee: int) -> None:
        """`follow.request_approved` and `user.followed`, as one command appends them."""
        if self.requests.get((follower, followee), (False, 0))[0]:
            self.end_request(follower, followee, "follow.request_approved")
            self.follow(follower, followee)

    # ------------------------------------------------------------------ what the write model implies
    def live(self, uid: int) -> bool:
        return self.users[uid].active

    def visible_posts(self) -> dict[int, Post]:
        return {i: p for i, p in self.posts.items() if not p.deleted and self.live(p.author)}

    def active_follows(self) -> set[tuple[int, int]]:
        return {k for k, (on, _) in self.follows.items() if on and self.live(k[0]) and self.live(k[1])}

    def expected_feed(self, reader: int, cap: int) -> list[int]:
        """The fan-out's rule (docs/read-models.md): own posts, followees' posts unless direct,
        followers-only and direct posts that mentioned the reader when created."""
        followees = {b for a, b in self.active_follows() if a == reader}

        def delivered(p: Post) -> bool:
            if p.author == reader:
                return True
            addressed = p.visibility in ("followers", "direct") and reader in p.audience
            return addressed or (p.author in followees and p.visibility != "direct")

        if not self.live(reader):
            return []
        ids = sorted((i for i, p in self.visible_posts().items() if delivered(p)), reverse=True)
        return ids[:cap]


def shuffled_within_aggregates(events: list[EventMessage], seed: int = 0, duplicate: bool = True) -> list[EventMessage]:
    """Keep the slots each aggregate occupies, permute its events among them; then deliver
    every event twice (the second copy later, at a random place)."""
    rng = random.Random(seed)
    slots: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(events):
        slots.setdefault((e.aggregate_type, e.aggregate_id), []).append(i)
    out: list[EventMessage | None] = [None] * len(events)
    for indexes in slots.values():
        members = [events[i] for i in indexes]
        rng.shuffle(members)
        for i, e in zip(indexes, members, strict=True):
            out[i] = e
    result = [e for e in out if e is not None]
    if duplicate:
        for e in list(result):
            result.insert(rng.randint(result.index(e) + 1, len(result)), e)
    return result
