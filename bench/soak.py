"""Soak: a randomized mixed workload over HTTP against a running `make run`, then `projections check`.

    make run                                   # in another terminal: web, relay, beat, workers
    .venv/bin/python -m bench.soak             # SOAK_COMMANDS=6000 SOAK_CLIENTS=8 SOAK_USERS=60

Unlike the convergence tests (which hand events to projectors in shuffled batches in-process),
this goes through every real part: concurrent HTTP clients race posts, edits and deletes against
likes, comments and follows of the same posts, the relay publishes, one worker per projector
applies. When the load stops it waits until every projector has applied every event of the log
(`projections status` lag 0, queues empty), then runs every projector's check: the read models
must equal a replay of the log, with nothing lost. The outcome goes to bench/results/soak.json.

It writes to the development databases of `make run` (users `soak_<run>_<n>`, created through the
registration service); it is not part of `make bench`, which uses databases of its own.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter
from io import StringIO

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402

from bench.report import write_json  # noqa: E402
from socialapp.events.log import log_head  # noqa: E402
from socialapp.events.status import projector_status  # noqa: E402
from socialapp.write.accounts.services import token_issue, user_register  # noqa: E402

BASE = os.environ.get("SOAK_BASE_URL", "http://127.0.0.1:8000/api/socialapp/v1")
COMMANDS = int(os.environ.get("SOAK_COMMANDS", "6000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
USERS = int(os.environ.get("SOAK_USERS", "60"))
DRAIN_TIMEOUT = float(os.environ.get("SOAK_DRAIN_TIMEOUT", "300"))
BODIES = ["hello #cqrs", "@{u} look #django", "plain text", "#Tag #tag @{u} @{v}", "edited #x", "é #café"]


class Shared:
    """What the clients know of each other's work, so most commands are ones the write model
    accepts (an author edits and deletes their own post; ids others liked get unliked)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[tuple[str, int]] = []  # (post id, author index)
        self.comments: list[tuple[str, int]] = []
        self.sent = Counter[str]()
        self.statuses = Counter[int]()


def client(n: int, users: list[tuple[str, str]], shared: Shared, budget: int, seed: int) -> None:
    """One client thread: `budget` commands, each as one of the users (a session per user)."""
    rng = random.Random(seed)
    sessions = [requests.Session() for _ in users]
    for (_, token), session in zip(users, sessions, strict=True):
        session.headers["Authorization"] = f"Bearer {token}"
    names = [u for u, _ in users]
    for _ in range(budget):
        try:
            kind, status = one_command(rng, users, sessions, names, shared)
        except requests.ConnectionError:  # a kept-alive connection the server closed meanwhile
            kind, status = "connection_error", 0
        with shared.lock:
            shared.sent[kind] += 1
            shared.statuses[status] += 1


def one_command(
    rng: random.Random, users: list[tuple[str, str]], sessions: list[requests.Session], names: list[str], shared: Shared
) -> tuple[str, int]:
    """Send one random command; returns its kind and the HTTP status."""
    i = rng.randrange(len(users))
    http = sessions[i]
    body = rng.choice(BODIES).format(u=rng.choice(names), v=rng.choice(names))
    with shared.lock:
        recent = shared.posts[-80:]
        comments = shared.comments[-80:]
    roll = rng.random()
    if roll < 0.18 or not recent:
        kind, r = "post", http.post(f"{BASE}/posts", json={"body": body})
        if r.status_code == 201:
            with shared.lock:
                shared.posts.append((r.json()["id"], i))
    elif roll < 0.28:
        post, author = rng.choice(recent)
        kind, r = "edit", sessions[author].patch(f"{BASE}/posts/{post}", json={"body": body})
    elif roll < 0.34:
        post, author = rng.choice(recent)
        kind, r = "delete", sessions[author].delete(f"{BASE}/posts/{post}")
    elif roll < 0.50:
        post, _ = rng.choice(recent)
        kind, r = "comment", http.post(f"{BASE}/posts/{post}/comments", json={"body": body})
        if r.status_code == 201:
            with shared.lock:
                shared.comments.append((r.json()["id"], i))
    elif roll < 0.55 and comments:
        comment, author = rng.choice(comments)
        kind, r = "comment_delete", sessions[author].delete(f"{BASE}/comments/{comment}")
    elif roll < 0.72:
        post, _ = rng.choice(recent)
        kind, r = "like", http.put(f"{BASE}/posts/{post}/like")
    elif roll < 0.80:
        post, _ = rng.choice(recent)
        kind, r = "unlike", http.delete(f"{BASE}/posts/{post}/like")
    elif roll < 0.92:
        kind, r = "follow", http.put(f"{BASE}/users/{rng.choice(names)}/follow")
    else:
        kind, r = "unfollow", http.delete(f"{BASE}/users/{rng.choice(names)}/follow")
    return kind, r.status_code


def drained(timeout: float) -> float:
    """Seconds until every projector applied the whole log and its queue is empty."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        rows = projector_status()
        if all(r.lag == 0 and not r.ready and not r.unacked for r in rows):
            return time.monotonic() - start
        time.sleep(0.5)  # polling the status, not waiting on a guess: the condition decides
    raise SystemExit(f"projectors still lagging after {timeout:.0f} s: {[(r.name, r.lag) for r in projector_status()]}")


def main() -> int:
    run = f"{int(time.time()) % 100000:05d}"
    users = []
    for n in range(USERS):
        user = user_register(username=f"soak_{run}_{n}", email=f"soak_{run}_{n}@example.org", password=None)
        users.append((user.username, token_issue(user=user, label="soak")))
    head_before = log_head()
    shared = Shared()
    started = time.monotonic()
    threads = [
        threading.Thread(target=client, args=(n, users, shared, COMMANDS // CLIENTS, n), daemon=True)
        for n in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load_seconds = time.monotonic() - started
    drain_seconds = drained(DRAIN_TIMEOUT)
    out = StringIO()
    try:
        call_command("projections", "check", stdout=out)
        ok = True
    except CommandError as exc:
        out.write(f"{exc}\n")
        ok = False
    result = {
        "commands": sum(shared.sent.values()),
        "by_kind": dict(shared.sent),
        "statuses": {str(k): v for k, v in sorted(shared.statuses.items())},
        "clients": CLIENTS,
        "users": USERS,
        "load_seconds": round(load_seconds, 1),
        "commands_per_second": round(sum(shared.sent.values()) / load_seconds, 1),
        "events_appended": log_head() - head_before,
        "drain_seconds": round(drain_seconds, 1),
        "check": out.getvalue().splitlines(),
        "check_ok": ok,
    }
    write_json("soak", result)
    print(out.getvalue())
    print(
        f"{result['commands']} commands ({result['events_appended']} events) in {load_seconds:.0f} s ({result['commands_per_second']}/s), statuses "
        f"{result['statuses']}; drained in {drain_seconds:.1f} s; check {'OK' if ok else 'DIVERGED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
