"""Command side: throughput of commands (row change + event append in one transaction) and what
contention costs.

    python -m bench.commands            # BENCH_COMMANDS_N=400 commands per measurement

Runs in a database of its own (`benchcmd_<name>`, created and migrated like a test database,
kept between runs), so it never touches development data. Figures (bench/results/commands.json):

- `post_create` and `post_like` commands/s on one thread (each: validation, locks, one row
  write, one event appended, commit);
- likes/s with THREADS threads of different users on *one hot post* vs on *different posts*:
  a like takes FOR SHARE on its post and FOR UPDATE on its own like row, so a hot post should
  not serialise its likers (ratio hot/spread close to 1);
- like/unlike toggles/s with THREADS threads on *one* like aggregate: these must serialise on the
  like row (the price of gap-free versions), compared with the spread figure.
"""

from __future__ import annotations

import os
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from bench.common import use_own_databases  # noqa: E402
from bench.load import threaded  # noqa: E402
from bench.measure import rate  # noqa: E402
from bench.report import print_figures, write_json  # noqa: E402
from socialapp.write.accounts.models import User  # noqa: E402
from socialapp.write.accounts.services import user_register  # noqa: E402
from socialapp.write.posts.models import Post  # noqa: E402
from socialapp.write.posts.services import post_create, post_like, post_unlike  # noqa: E402

N = int(os.environ.get("BENCH_COMMANDS_N", "400"))
THREADS = int(os.environ.get("BENCH_COMMANDS_THREADS", "4"))


def users(prefix: str, count: int) -> list[User]:
    return [user_register(username=f"{prefix}_{i}", email="b@example.org", password=None) for i in range(count)]


def main() -> None:
    use_own_databases("benchcmd", aliases=("default",))
    run_id = uuid.uuid4().hex[:6]
    per_thread = max(1, N // THREADS)
    author, *likers = users(f"b{run_id}", 1 + THREADS)
    figures: dict[str, float] = {}

    posts: list[Post] = []
    figures["post_create_per_s"] = rate(
        N, lambda: posts.extend(post_create(author=author, body=f"#b {i}") for i in range(N))
    )
    figures["post_like_per_s"] = rate(N, lambda: [post_like(post_id=p.id, user=likers[0]) for p in posts])

    # Different users liking one hot post vs different posts (each thread its own users).
    hot_likers = [users(f"h{run_id}_{t}", per_thread) for t in range(THREADS)]
    hot_post = post_create(author=author, body="hot")
    figures["likes_hot_post_per_s"] = rate(
        per_thread * THREADS,
        threaded(lambda i: [post_like(post_id=hot_post.id, user=u) for u in hot_likers[i]], THREADS),
    )
    spread_posts = [post_create(author=author, body=f"spread {k}") for k in range(per_thread * THREADS)]
    figures["likes_spread_per_s"] = rate(
        per_thread * THREADS,
        threaded(
            lambda i: [
                post_like(post_id=spread_posts[i * per_thread + k].id, user=u) for k, u in enumerate(hot_likers[i])
            ],
            THREADS,
        ),
    )
    figures["hot_over_spread"] = figures["likes_hot_post_per_s"] / figures["likes_spread_per_s"]

    # One aggregate, THREADS threads toggling it: serialised on the like row by design.
    target = post_create(author=author, body="toggle")
    figures["toggles_one_aggregate_per_s"] = rate(
        per_thread * THREADS,
        threaded(
            lambda i: [
                (post_like if k % 2 == 0 else post_unlike)(post_id=target.id, user=likers[0]) for k in range(per_thread)
            ],
            THREADS,
        ),
    )
    figures["one_aggregate_over_spread"] = figures["toggles_one_aggregate_per_s"] / figures["likes_spread_per_s"]

    out = {"n": N, "threads": THREADS, **{k: round(v, 3) for k, v in figures.items()}}
    write_json("commands", out)
    print_figures(out)


if __name__ == "__main__":
    main()
