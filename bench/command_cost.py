"""What one command costs the machine: CPU per request of each command of the whole-system
benchmark's mix (bench/wrk/commands.lua: post create, like, comment, follow) and of /healthz (the
framework's floor), split between this process (Python) and the PostgreSQL backend of the
`default` connection, with the write side's statements prepared (WRITE_DATABASE_PREPARED, the
default) and not, rounds interleaved.

    python -m bench.command_cost        # BENCH_COMMAND_COST_N (300) per command, _ROUNDS (2)
    BENCH_COMMAND_COST_PROFILE=1 python -m bench.command_cost measure   # one setting, with a cProfile listing

In process, on databases of its own (`benchcmdcost_*`, bench/common.py) and a cache key prefix of its
own, DEBUG off, the user throttle raised out of the way (still counted: one Redis round trip per
request). Each request is a WSGI environ handed to Django's WSGIHandler, as gunicorn hands it:
the request_started/finished signals close or health-check connections as in production
(CONN_HEALTH_CHECKS' `SELECT 1` included), no test client around it. Every like and follow is a
change (a new pair); comments answer existing posts; post bodies are commands.lua's (hashtags,
mentions of existing users). After 30 untimed requests per command, N timed ones in chunks of 25,
the commands' chunks alternating (a busy moment of the shared machine falls on all of them): this
process's CPU clock (`time.process_time`) and the backend's (`/proc/<pid>/schedstat`, nanoseconds)
around each chunk, on one connection kept for the whole run. The `read` connection and Redis are not expected on the command path: `read_statements`
says whether a command touched `read`; Redis is one round trip per request (the user throttle),
whose server CPU is not counted. Figures go to bench/results/command_cost.json and .png.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")  # before setup: DEBUG records every query
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")  # counted, never refusing
django.setup()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connections  # noqa: E402

from bench.common import use_own_databases  # noqa: E402
from bench.report import Bars, bar_charts, print_figures, write_json  # noqa: E402

N = int(os.environ.get("BENCH_COMMAND_COST_N", "300"))  # at most ~1,300: the follows of 40 users
ROUNDS = int(os.environ.get("BENCH_COMMAND_COST_ROUNDS", "2"))
WARM = 30
CHUNK = 25  # requests per timed chunk; chunks of every command alternate
PROFILE = os.environ.get("BENCH_COMMAND_COST_PROFILE", "") == "1"
AUTHORS = 40  # enough distinct (follower, followee) pairs for every follow to be a new one
COMMANDS = ["healthz", "post", "like", "comment", "follow"]
API = "/api/socialapp/v1"
BODIES = [  # bench/wrk/commands.lua's
    "hello world, a plain post",
    "shipping the pipeline today #cqrs #django",
    "@{} what do you think? #bench",
    "numbers at last #perf @{} @{}",
    "a quiet afternoon",
    "#café au lait",
]


def _backend_cpu_ns(alias: str) -> tuple[int, int]:
    """(pid, CPU time so far) of this alias's PostgreSQL backend: schedstat's nanoseconds, not
    /proc/<pid>/stat's 10 ms ticks; the pid from psycopg, not from a query that would count."""
    connection = connections[alias]
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with open(f"/proc/{pid}/schedstat") as f:
        return pid, int(f.read().split()[0])


class Server:
    """Django's WSGI application called as a WSGI server calls it."""

    def __init__(self) -> None:
        self.app = WSGIHandler()

    def __call__(self, method: str, path: str, token: str | None = None, body: object = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "CONTENT_LENGTH": str(len(data)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }  # fmt: skip
        if body is not None:
            environ["CONTENT_TYPE"] = "application/json"
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status: list[str] = []
        response = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished: close_old_connections, as a server does
        return int(status[0].split()[0]), content


def _requests(serve: Server, tokens: list[str], names: list[str], post_ids: list[int]) -> dict[str, Callable]:
    """One callable per command, each call a new request (likes and follows always a change)."""
    rng = random.Random(7)
    likes: Iterator[tuple[int, int]] = ((k % AUTHORS, post_ids[k // AUTHORS]) for k in range(10**9))
    follows: Iterator[tuple[int, int]] = (
        (f, e) for shift in range(1, AUTHORS) for f in range(AUTHORS) for e in [(f + shift) % AUTHORS]
    )

    def body() -> str:
        return rng.choice(BODIES).format(rng.choice(names), rng.choice(names), rng.choice(names))

    def expect(status: int, content: bytes, wanted: int) -> None:
        assert status == wanted, (status, content[:300])

    def healthz() -> None:
        expect(*serve("GET", "/healthz"), 200)

    def post() -> None:
        expect(*serve("POST", f"{API}/posts", rng.choice(tokens), {"body": body()}), 201)

    def like() -> None:
        actor, post_id = next(likes)
        expect(*serve("PUT", f"{API}/posts/{post_id}/like", tokens[actor]), 200)

    def comment() -> None:
        expect(
            *serve("POST", f"{API}/posts/{rng.choice(post_ids)}/comments", rng.choice(tokens), {"body": body()}), 201
        )

    def follow() -> None:
        follower, followee = next(follows)
        expect(*serve("PUT", f"{API}/users/{names[followee]}/follow", tokens[follower]), 200)

    return {"healthz": healthz, "post": post, "like": like, "comment": comment, "follow": follow}


def _statements(call: Callable[[], None]) -> dict[str, int]:
    """SQL statements one request sends on each alias (psycopg's own BEGIN/COMMIT not included)."""
    counts = {"default": 0, "read": 0}

    def counter(alias: str) -> Callable:
        def count(execute: Callable, sql: str, *args: object) -> object:
            counts[alias] += 1
            return execute(sql, *args)

        return count

    with (
        connections["default"].execute_wrapper(counter("default")),
        connections["read"].execute_wrapper(counter("read")),
    ):
        call()
    return counts


def measure() -> dict[str, dict[str, float]]:
    """This process's setting: per command, CPU microseconds per request (this process, the
    `default` backend) and statements per request."""
    from socialapp.write.accounts.services import token_issue, user_register

    settings.CACHES["default"]["KEY_PREFIX"] = "benchcmdcost"
    use_own_databases("benchcmdcost", aliases=("default", "read"))
    connections["default"].settings_dict["CONN_MAX_AGE"] = None  # one backend for the whole run (its CPU is read)
    run = uuid.uuid4().hex[:6]
    users = [user_register(username=f"c{run}_{i}", email="c@example.org", password=None) for i in range(AUTHORS)]
    tokens = [token_issue(user=u, label="bench") for u in users]
    names = [u.username for u in users]
    serve = Server()
    seed = [
        json.loads(serve("POST", f"{API}/posts", tokens[i % AUTHORS], {"body": f"seed {i}"})[1])["id"]
        for i in range((N + WARM + 250) // AUTHORS + 2)  # every like a new (user, post) pair
    ]
    calls = _requests(serve, tokens, names, [int(i) for i in seed])
    for name in COMMANDS:
        for _ in range(WARM):
            calls[name]()
    counts = {name: _statements(calls[name]) for name in COMMANDS}
    if PROFILE:
        for name in COMMANDS[1:]:
            profile = cProfile.Profile(time.process_time)
            profile.runcall(lambda c=calls[name]: [c() for _ in range(min(N, 200))])
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
            print(
                f"==== {name}: CPU by cumulative time (profiler overhead included)\n{text.getvalue()}", file=sys.stderr
            )
    # Interleaved chunks: a shared machine's slow moments fall on every command alike.
    spent = {name: {"cpu": 0.0, "pg": 0, "wall": 0.0, "n": 0} for name in COMMANDS}
    for _ in range(max(1, N // CHUNK)):
        for name in COMMANDS:
            call = calls[name]
            pid, backend = _backend_cpu_ns("default")
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(CHUNK):
                call()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pid_after, backend_after = _backend_cpu_ns("default")
            if pid_after != pid:  # reconnected within the chunk: its backend time is not comparable
                continue
            took = spent[name]
            took["cpu"] += cpu
            took["pg"] += backend_after - backend
            took["wall"] += wall
            took["n"] += CHUNK
    return {
        name: {
            "python_us": round(t["cpu"] / t["n"] * 1e6),
            "postgres_us": round(t["pg"] / t["n"] / 1e3),
            "wall_us": round(t["wall"] / t["n"] * 1e6),
            "statements": counts[name]["default"],
            "read_statements": counts[name]["read"],
            "requests": t["n"],
        }
        for name, t in spent.items()
    }


def main() -> None:
    labels = {"prepared": "true", "unprepared": "false"}
    runs: dict[str, list[dict]] = {label: [] for label in labels}
    for _ in range(ROUNDS):
        for label, value in labels.items():
            child = subprocess.run([sys.executable, "-m", "bench.command_cost", "measure"], check=True,
                                   env={**os.environ, "WRITE_DATABASE_PREPARED": value},
                                   capture_output=True, text=True)  # fmt: skip
            runs[label].append(json.loads(child.stdout.strip().splitlines()[-1]))
    keys = ("python_us", "postgres_us", "wall_us")
    mean = {label: {name: {**{k: round(sum(r[name][k] for r in found) / len(found)) for k in keys},
                           "statements": found[0][name]["statements"]}
                    for name in COMMANDS} for label, found in runs.items()}  # fmt: skip
    result = {"requests_per_command": N, "rounds": ROUNDS, "mean_us_per_request": mean, "runs": runs,
              "cpu_count": os.cpu_count()}  # fmt: skip
    write_json("command_cost", result)
    bar_charts(
        "command_cost",
        [
            Bars(
                f"{label}: CPU us per request ({part})",
                COMMANDS,
                [mean[label][c][f"{part}_us"] for c in COMMANDS],
            )
            for label in mean
            for part in ("python", "postgres")
        ],
    )
    print_figures({"mean_us_per_request": mean})


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(measure()), flush=True)
    else:
        main()
