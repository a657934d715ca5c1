"""One command request through the whole Django stack, in process: milliseconds per request and
SQL statements per command, for the commands the whole-system benchmark sends most.

    python -m bench.command_path        # BENCH_COMMAND_PATH_N=300 requests per command
    BENCH_COMMAND_PATH_PROFILE=1 python -m bench.command_path    # and a cProfile listing of post create

Each request goes through the middleware, DRF's authentication and throttles, the view, the
service's transaction and the post-commit relay NOTIFY, with DEBUG off, over Django's test
client (no HTTP server: bench/system.py measures that), with the connection handling a server
does around each request (`close_old_connections`). Figures per command: SQL statements
(counted by an execute wrapper; they include the NOTIFY, not the BEGIN and COMMIT psycopg sends
itself), connection health checks (`SELECT 1` before the request's first query, CONN_HEALTH_CHECKS), this process's CPU ms per request (`cpu_ms`, steadier than wall time on a busy
machine: it includes the client's share) and wall-clock p50/p99. It runs on a database of its own (`benchpath_*`, bench/common.py) and
its own cache key prefix. Figures: bench/results/command_path.json.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
import uuid
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")  # before setup: DEBUG records every query
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")  # counted, never refusing
django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connections  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.common import use_own_databases  # noqa: E402
from bench.measure import quantiles_ms, sample_ms, warm_up  # noqa: E402
from bench.report import print_figures, write_json  # noqa: E402

N = int(os.environ.get("BENCH_COMMAND_PATH_N", "300"))
PROFILE = os.environ.get("BENCH_COMMAND_PATH_PROFILE", "") == "1"


def main() -> None:
    from socialapp.write.accounts.services import token_issue, user_register

    settings.DEBUG = False
    settings.CACHES["default"]["KEY_PREFIX"] = "benchpath"
    use_own_databases("benchpath", aliases=("default", "read"))
    run = uuid.uuid4().hex[:6]
    count = 2 * N + 40  # every like and follow below is a change (a new row), never a no-op
    users = [user_register(username=f"p{run}_{i}", email="p@example.org", password=None) for i in range(count)]
    actor = APIClient()
    actor.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=users[0], label='bench')}")
    body = {"body": "hello #bench @" + users[1].username}

    def post() -> object:
        r = actor.post("/api/socialapp/v1/posts", body, format="json")
        assert r.status_code == 201, r.content
        return r

    post_ids = [post().json()["id"] for _ in range(count)]
    likes, follows = iter(post_ids), iter(u.username for u in users[1:])

    def like() -> object:
        r = actor.put(f"/api/socialapp/v1/posts/{next(likes)}/like")
        assert r.status_code == 200, r.content
        return r

    def follow() -> object:
        r = actor.put(f"/api/socialapp/v1/users/{next(follows)}/follow")
        assert r.status_code == 200, r.content
        return r

    # Django's test client leaves out what a server does at each request's start and end
    # (close_old_connections): with CONN_HEALTH_CHECKS, the first query of every request is then
    # preceded by a `SELECT 1` on that connection. Do it here too, and count those checks.
    default = connections["default"]
    checks: list[int] = []
    is_usable = default.is_usable

    def counted_is_usable() -> bool:
        checks.append(1)
        return is_usable()

    default.is_usable = counted_is_usable  # type: ignore[method-assign]

    def as_served(call: Callable[[], object]) -> Callable[[], object]:
        def served() -> object:
            close_old_connections()
            try:
                return call()
            finally:
                close_old_connections()

        return served

    figures: dict[str, dict] = {}
    for name, call in (("post_create", as_served(post)), ("like", as_served(like)), ("follow", as_served(follow))):
        warm_up(call, 10)
        statements: list[str] = []

        def count(execute: Callable, sql: str, *args: object, sent: list[str] = statements) -> object:
            sent.append(sql)
            return execute(sql, *args)

        checks.clear()
        with default.execute_wrapper(count):
            call()
        health_checks = len(checks)
        cpu = time.process_time()
        samples = sample_ms(call, N)
        cpu_ms = (time.process_time() - cpu) * 1000 / N
        figures[name] = {
            "statements": len(statements),
            "health_checks": health_checks,
            "cpu_ms": round(cpu_ms, 2),
            **quantiles_ms(samples, 0.5, 0.99),
        }
    out = {"n": N, **figures}
    if PROFILE:
        profile = cProfile.Profile()
        profile.runcall(lambda: [post() for _ in range(min(N, 200))])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(50)
    write_json("command_path", out)
    print_figures({k: v for k, v in out.items()})


if __name__ == "__main__":
    main()
