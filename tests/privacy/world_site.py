"""The one world of the authorisation matrix (tests/privacy/test_matrix.py), built once per module.

Real users with real sessions (the command side's tokens, which query authentication reads from
the shared cache), one per relation to the author (tests/privacy/relations.py), and everything
else appended to the real event log exactly as docs/events.md specifies, then applied to every
projector (search included, with Elasticsearch refreshed), as the pipeline would:

1. every user registers; the author locks the account; `follower`'s request is approved,
   `requested`'s stays pending;
2. the author posts, in each visibility, a `plain` post mentioning the `addressed` viewers and a
   `shout` post mentioning every signed-in viewer, all with one hashtag and one search word, and
   answers each post with a comment of the same visibility;
3. every signed-in viewer likes each post it may open at that moment (follows and mentions only),
   and answers the public plain post;
4. then the blocks and mutes: likes made before a block stay in the write model, so lists of
   likes and favourites must hide them by the rule, not by their absence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.contrib.auth import get_user_model
from django.db import connections

from socialapp.events.consistency import make_token
from socialapp.events.projector import REGISTRY, EventMessage
from socialapp.read.search import indexes
from socialapp.write.accounts.services import token_issue
from tests.privacy import oracle
from tests.privacy.relations import RELATIONS
from tests.privacy.world import PrivacyWorld, relate
from tests.read.conftest import apply_all, logged, reset

TAG = "privacymatrix"
WORD = "matrixword"
VISIBILITIES = oracle.VISIBILITIES


@dataclass
class Status:
    id: int
    visibility: str
    kind: str  # "plain" or "shout" (posts), "comment"
    mentions: frozenset[int]
    post: int | None = None  # a comment's post
    by: str = "author"  # the relation name of its author


@dataclass
class MatrixWorld:
    world: PrivacyWorld
    ids: dict[str, int]  # relation -> user id (no anonymous)
    tokens: dict[str, str]
    posts: dict[int, Status] = field(default_factory=dict)
    comments: dict[int, Status] = field(default_factory=dict)
    likes: dict[int, set[str]] = field(default_factory=dict)  # post -> relations that liked it
    events: list[EventMessage] = field(default_factory=list)

    @property
    def author(self) -> int:
        return self.ids["author"]

    def name(self, user_id: int) -> str:
        return next(n for n, i in self.ids.items() if i == user_id)

    def consistency_token(self) -> str:
        """A token naming the world's last events (blocks, mutes and what came before them)."""
        token = make_token(self.events[-40:])
        assert token
        return token

    def status(self, sid: int) -> Status:
        return self.posts.get(sid) or self.comments[sid]

    def between(self, viewer: str, writer: str) -> oracle.Facts:
        """The facts between a viewer and the writer of a status: the relations are all with the
        author, so for another writer they are the mirror of the writer's own (a block either way
        is one), and nothing for anyone else."""
        if writer == "author":
            return RELATIONS[viewer]
        if viewer == writer:
            return oracle.Facts(author=True)
        if RELATIONS[viewer].anonymous:
            return oracle.Facts(anonymous=True)
        if viewer == "author":
            theirs = RELATIONS[writer]
            return oracle.Facts(blocked_by_author=theirs.blocks_author, blocks_author=theirs.blocked_by_author)
        return oracle.Facts()

    def sees(self, relation: str, sid: int, context: str) -> bool:
        """The oracle for one viewer and one status of the world; a comment is shown only where its
        post is visible as opened on purpose (docs/privacy.md)."""
        status = self.status(sid)
        facts = self.between(relation, status.by)
        uid = self.ids.get(relation)
        visible = oracle.sees(facts, status.visibility, context, addressed=uid in status.mentions)
        if status.post is not None:
            visible = visible and self.sees(relation, status.post, "detail")
        return visible


def register_viewers(w: PrivacyWorld) -> tuple[dict[str, int], dict[str, str]]:
    """A real user with a session for every signed-in viewer of RELATIONS, registered in `w`:
    their ids and tokens by name (shared by build and stream_world)."""
    ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    for name, facts in RELATIONS.items():
        if facts.anonymous:
            continue
        user = get_user_model().objects.create_user(username=name, email=f"{name}@example.org", password="x-Passw0rd!")
        tokens[name] = token_issue(user=user)
        ids[name] = w.register(name, uid=user.pk)
    return ids, tokens


def add_statuses(w: PrivacyWorld, mw: MatrixWorld, ids: dict[str, int], author: int) -> None:
    """The world's statuses (a plain and a shout post of every visibility, each with the author's
    answer), the likes of those who may see them, and every viewer's answer to the public plain
    post: shared by the read-path matrix (build) and the streams' (stream_world)."""
    addressed = [n for n, f in RELATIONS.items() if f.addressed and not f.author]
    everyone = [n for n in ids if n != "author"]
    for visibility in VISIBILITIES:
        for kind, named in (("plain", addressed), ("shout", everyone)):
            mentions = " ".join(f"@{n}" for n in named)
            pid = w.post(author, f"{kind} {visibility} {WORD} #{TAG} {mentions}", visibility)
            mw.posts[pid] = Status(pid, visibility, kind, frozenset(ids[n] for n in named))
            cid = w.comment(author, pid, f"the author answers {WORD}", visibility)
            mw.comments[cid] = Status(cid, visibility, "comment", frozenset({author}), post=pid)
    # Likes, while only follows and mentions decide (no block or mute yet).
    for name in everyone:
        facts = RELATIONS[name]
        before = oracle.Facts(follows=facts.follows, addressed=facts.addressed, requested=facts.requested)
        for pid, post in mw.posts.items():
            if oracle.sees(before, post.visibility, "detail", addressed=ids[name] in post.mentions):
                w.like(ids[name], pid)
                mw.likes.setdefault(pid, set()).add(name)

    # Every viewer answers the public plain post, before any block: the author's thread and
    # notifications must then hide the answers of those blocked either way, by the rule.
    public = next(p for p, s in mw.posts.items() if s.visibility == "public" and s.kind == "plain")
    for name in everyone:
        cid = w.comment(ids[name], public, f"{name} answers {WORD}")
        mw.comments[cid] = Status(cid, "public", "comment", frozenset({author}), post=public, by=name)


def build() -> MatrixWorld:
    w = PrivacyWorld()
    ids, tokens = register_viewers(w)
    mw = MatrixWorld(w, ids, tokens)
    author = ids["author"]
    w.lock(author)
    for name, facts in RELATIONS.items():
        if facts.requested or facts.follows:
            relate(w, author, ids[name], facts)

    add_statuses(w, mw, ids, author)

    for name, facts in RELATIONS.items():
        if not facts.anonymous and not facts.author and not facts.requested:
            relate(w, author, ids[name], replace(facts, follows=False, requested=False))  # came first

    logged([e for e in w.events if e.event_type != "user.registered"])
    mw.events = logged([])
    indexes.drop_all()
    indexes.ensure_indexes()
    apply_all(mw.events, [n for n in REGISTRY if n != "search"])
    REGISTRY["search"].apply_batch(mw.events)
    indexes.refresh()
    return mw


def tear_down() -> None:
    """Leave the databases as the next module expects them: no users, no events, empty read models."""
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM event_outbox")
        cursor.execute("DELETE FROM event_log")
    get_user_model().objects.filter(username__in=list(RELATIONS)).delete()
    reset(list(REGISTRY))
    with connections["read"].cursor() as cursor:
        cursor.execute(
            "DELETE FROM search_post; DELETE FROM search_user; DELETE FROM search_like; DELETE FROM search_hashtag;"
            " DELETE FROM search_comment;"
            " DELETE FROM search_pending"
        )
    indexes.drop_all()
