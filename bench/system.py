"""The whole system over HTTP: sustained posts/s with every projector keeping up, command latency
at a fixed rate with the pipeline running, and where the CPU goes (CPU ms per post by process).

    python -m bench.system          # BENCH_SYSTEM_* knobs below; wrk must be installed

It starts the stack as `manage.py projections procfile --single-web` describes it (gunicorn with
DEBUG off, the relay, Celery tasks and beat, one worker per projector), on databases, a RabbitMQ
vhost, an index prefix and a cache prefix of its own (bench/common.py), with the API throttles
raised out of the way. Authors and their tokens are made through the services. Then:

1. **Sustained posts/s** (`steps`): wrk with 4 connections POSTs posts (rotating authors; bodies
   with hashtags and mentions now and then), first as fast as the server answers (`open_loop`),
   then paced at each rate of BENCH_SYSTEM_RATES for BENCH_SYSTEM_SECONDS. After each step it
   measures the drain: how long after the load stops until every projector has applied the whole
   log (`projections status`: lag 0, queue empty). `sustained_posts_per_s` is the highest rate
   whose accepted posts/s reached 95 % of the offered rate and whose drain took < 1 s. The steps
   stop at the first rate that fails.
2. **CPU per post** (`cpu_ms_per_post`): each process type's CPU seconds (utime + stime from
   /proc, children included) over the open-loop step and its drain, divided by the posts
   accepted: web, relay, tasks, beat, each projector worker, PostgreSQL backends on this
   benchmark's write and read databases, and (shared with whatever else runs on the machine)
   PostgreSQL's other processes, RabbitMQ, Elasticsearch and Redis. From it,
   `ceiling_if_projectors_were_free`: the posts/s the cores would allow if every projector
   worker and the read database cost nothing, an upper bound on what faster handlers can give.
3. **Command latency** (`latency`): a paced open-loop mix (40 % posts, 30 % likes, 15 % comments,
   15 % follows) at BENCH_SYSTEM_LATENCY_RATE for BENCH_SYSTEM_LATENCY_SAMPLES requests over
   BENCH_SYSTEM_LATENCY_CONNECTIONS connections; p50/p99 of every request's latency, counted from
   its paced slot (bench/wrk/commands.lua), through bench/measure.py's percentile; the client's
   own CPU is reported (`client_cpu_percent`) to show it is not the bottleneck.
4. **The command side alone** (`commands_alone`): the open loop and the command mix again (the
   mix for BENCH_SYSTEM_ALONE_LATENCY_SAMPLES requests), each with every process but the web
   server stopped (SIGSTOP) so that nothing relays or applies events meanwhile: the floor the
   command side sets under the whole system (posts/s, CPU per post of web and PostgreSQL,
   latency without the pipeline's CPU beside it). The backlog drains after each, untimed.
5. **Events per batch** (`events_per_batch` of each step): how many events each projector applied
   per transaction, from the tracking rows (a batch's share the transaction's start time).

Knobs (a smoke run: BENCH_SYSTEM_AUTHORS=20 BENCH_SYSTEM_SECONDS=3 BENCH_SYSTEM_RATES=20
BENCH_SYSTEM_LATENCY_SAMPLES=100 BENCH_SYSTEM_LATENCY_RATE=50):
BENCH_SYSTEM_AUTHORS (200), BENCH_SYSTEM_SECONDS (30, per step), BENCH_SYSTEM_RATES
("100,150,200,250,300,400,500"), BENCH_SYSTEM_CONNECTIONS (4), BENCH_SYSTEM_LATENCY_RATE (100),
BENCH_SYSTEM_LATENCY_SAMPLES (10000), BENCH_SYSTEM_ALONE_LATENCY_SAMPLES (3000), BENCH_SYSTEM_LATENCY_CONNECTIONS (16), BENCH_SYSTEM_DRAIN_TIMEOUT (600 s),
BENCH_SYSTEM_WEB_WORKERS (2), BENCH_SYSTEM_WEB_THREADS (4) and BENCH_SYSTEM_PREFIX ("benchsys": databases
`benchsys_*`, vhost `socialapp_bench_system`; another prefix gives a run data of its own).
Figures go to bench/results/system.json and system.png.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost  # noqa: E402
from bench.measure import cmdline, percentile, proc_stats, quantiles_ms  # noqa: E402
from bench.report import Bars, bar_charts, print_figures, write_json  # noqa: E402
from devkit.processes import ChildProcess, wait_for  # noqa: E402

AUTHORS = int(os.environ.get("BENCH_SYSTEM_AUTHORS", "200"))
SECONDS = float(os.environ.get("BENCH_SYSTEM_SECONDS", "30"))
RATES = [float(r) for r in os.environ.get("BENCH_SYSTEM_RATES", "100,150,200,250,300,400,500").split(",") if r]
CONNECTIONS = int(os.environ.get("BENCH_SYSTEM_CONNECTIONS", "4"))
# A connection waits for each answer: at 100/s with 4 connections an answer slower than 40 ms
# would hold the next request back, so the latency run has more connections to stay open-loop.
LATENCY_CONNECTIONS = int(os.environ.get("BENCH_SYSTEM_LATENCY_CONNECTIONS", "16"))
LATENCY_RATE = float(os.environ.get("BENCH_SYSTEM_LATENCY_RATE", "100"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_SYSTEM_LATENCY_SAMPLES", "10000"))
#: The command side alone (pipeline paused): its own latency run is this many requests.
ALONE_LATENCY_SAMPLES = int(os.environ.get("BENCH_SYSTEM_ALONE_LATENCY_SAMPLES", "3000"))
DRAIN_TIMEOUT = float(os.environ.get("BENCH_SYSTEM_DRAIN_TIMEOUT", "600"))
WEB_WORKERS = os.environ.get("BENCH_SYSTEM_WEB_WORKERS", "2")
WEB_THREADS = os.environ.get("BENCH_SYSTEM_WEB_THREADS", "4")
# Databases, vhost, index and cache prefix of this run: another name lets a second checkout run
# the benchmark on the same machine without sharing (or dropping) the first one's data.
PREFIX = os.environ.get("BENCH_SYSTEM_PREFIX", "benchsys")
VHOST = "socialapp_bench_system" if PREFIX == "benchsys" else f"socialapp_bench_{PREFIX}"
LUA = Path(__file__).resolve().parent / "wrk" / "commands.lua"
SUSTAINED_DRAIN_S = 1.0  # the issue's "lag < 1 s when the load stops"


# ------------------------------------------------------------------------------ the stack
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_lines() -> list[tuple[str, str]]:
    """(process type, command) of `projections procfile --single-web`: what `make run` starts."""
    out = StringIO()
    call_command("projections", "procfile", "--single-web", stdout=out)
    return [tuple(line.split(": ", 1)) for line in out.getvalue().splitlines() if ": " in line]  # type: ignore[misc]


class Stack:
    """Every process of the Procfile as a child process (each in its own session, so that its
    CPU, gunicorn's workers included, can be summed from /proc)."""

    def __init__(self, env: dict[str, str], schedule: Path) -> None:
        self.env = env
        self.schedule = schedule
        self.port = free_port()
        self.procs: dict[str, ChildProcess] = {}

    def command(self, kind: str, line: str) -> str:
        line = line.replace(".venv/bin", str(Path(sys.executable).parent))
        line = line.replace(".services/celerybeat-schedule", str(self.schedule))
        if kind == "web":
            line = re.sub(r"--workers \d+ --threads \d+", f"--workers {WEB_WORKERS} --threads {WEB_THREADS}", line)
            line = line.replace("--access-logfile -", "")  # one log line per request would be the client's noise
        return line.replace("$PORT", str(self.port if kind == "web" else free_port()))

    def start(self) -> None:
        for kind, line in procfile_lines():
            self.procs[kind] = ChildProcess(["bash", "-c", "exec " + self.command(kind, line)], self.env, f"sys-{kind}")
        projectors = [k for k in self.procs if k not in ("web", "relay", "tasks", "beat")]
        for kind, proc in self.procs.items():
            marker = {
                "relay": "relay running",
                "web": "Booting worker",
                "tasks": "ready.",
                "beat": "beat: Starting",
            }.get(kind, "consuming")
            wait_for(
                lambda p=proc, m=marker: m in p.log() or p.proc.poll() is not None, timeout=120, what=f"{kind} start"
            )
            assert proc.proc.poll() is None, f"{kind} exited:\n{proc.log()[-3000:]}"
        wait_for(lambda: requests.get(f"{self.url}/readyz", timeout=5).ok, timeout=60, what="web ready")
        print(f"stack up: web on :{self.port}, {len(projectors)} projector workers", flush=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()


# ------------------------------------------------------------------------------ CPU accounting
def cpu_snapshot(stack: Stack) -> dict[str, float]:
    """CPU seconds by process type: the stack's own processes (by session) and the services."""
    sessions = {proc.pid: kind for kind, proc in stack.procs.items()}
    seconds: dict[str, float] = {}
    for stat in proc_stats():
        comm = stat.comm
        kind = sessions.get(stat.session)
        if kind is None:
            if comm == "postgres" or comm.startswith("postgres"):
                kind = postgres_kind(cmdline(stat.pid))
            elif comm in ("beam.smp", "erl_child_setup", "epmd"):
                kind = "rabbitmq"
            elif comm == "java" and "elasticsearch" in cmdline(stat.pid):
                kind = "elasticsearch"
            elif comm == "redis-server":
                kind = "redis"
            else:
                continue
        seconds[kind] = seconds.get(kind, 0.0) + stat.seconds
    return seconds


def postgres_kind(line: str) -> str:
    """A PostgreSQL process by the database it serves (its title: `postgres: user db host state`):
    this benchmark's write database (commands, the relay) or read database (projectors, queries),
    or anything else (other databases, the server's own processes)."""
    words = line.split()
    database = words[2] if len(words) > 2 and words[0] == "postgres:" else ""
    if database == connections["read"].settings_dict["NAME"]:
        return "postgres (read db)"
    if database == connections["default"].settings_dict["NAME"]:
        return "postgres (write db)"
    return "postgres (other)"


#: Process types that are projector workers' own (their handlers, their consumers): what the
#: bound below takes away.
NOT_PROJECTORS = ("web", "web-streaming", "relay", "tasks", "beat")


def ceiling_if_projectors_were_free(stack: Stack, per_post: dict[str, float]) -> dict:
    """An upper bound on posts/s for this design on this machine: CPU per post with every
    projector worker's CPU and the read database's taken away (as if every handler, set-based or
    not, cost nothing), and the machine's cores divided by what is left. The rest (web, the write
    database, the relay, the broker, Elasticsearch) is what carrying a post costs at all."""
    projectors = [k for k in stack.procs if k not in NOT_PROJECTORS]
    rest = {k: v for k, v in per_post.items() if k not in projectors and k != "postgres (read db)"}
    total = sum(rest.values())
    return {
        "cpu_ms_per_post_left": round(total, 2),
        "left_by_process": rest,
        "posts_per_s": round((os.cpu_count() or 1) * 1000 / total, 1) if total else None,
    }


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Seconds used in between (a postgres backend that exited meanwhile is lost: noted in docs)."""
    return {k: max(0.0, after.get(k, 0.0) - before.get(k, 0.0)) for k in after}


# ------------------------------------------------------------------------------ data
def reset() -> None:
    """Empty tables and indexes: every run starts from the same state."""
    from socialapp.read.search import indexes

    for alias in ("default", "read"):
        tables = [
            t
            for (t,) in sql(alias, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if not t.startswith(("django_migrations", "django_content_type", "auth_permission"))
        ]
        sql(alias, f"TRUNCATE {', '.join(tables)} CASCADE")
    indexes.drop_all()
    indexes.ensure_indexes()


def make_authors(n: int, path: Path) -> list[str]:
    """`n` authors with a token each, through the services; the wrk input file."""
    from socialapp.write.accounts.services import token_issue, user_register

    names = []
    with path.open("w") as f:
        for i in range(n):
            user = user_register(username=f"author_{i}", email=f"author_{i}@example.org", password=None)
            f.write(f"author {token_issue(user=user, label='bench')} {user.username}\n")
            names.append(user.username)
    return names


def add_posts(path: Path, stack: Stack, n: int) -> None:
    """Posts for the latency mix to like and comment on, through the API (and listed for wrk)."""
    lines = path.read_text().splitlines()
    tokens = [line.split()[1] for line in lines if line.startswith("author ")]
    with path.open("a") as f, requests.Session() as http:
        for i in range(n):
            r = http.post(
                f"{stack.url}/api/socialapp/v1/posts",
                json={"body": f"something to like #{i % 7}"},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                timeout=10,
            )
            r.raise_for_status()
            f.write(f"post {r.json()['id']}\n")


# ------------------------------------------------------------------------------ measurements
def run_wrk(
    stack: Stack,
    inputs: Path,
    *,
    seconds: float,
    rate: float,
    mix: str = "posts",
    seed: int = 1,
    connections: int = CONNECTIONS,
) -> dict:
    """One wrk run, one thread per connection (bench/wrk/commands.lua says why); returns requests,
    errors, duration, every request's latency (ms) and wrk's own CPU."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("bench.system needs wrk (Debian package `wrk`; scripts/bench-tools installs it)")
    args = [
        wrk,
        f"-t{connections}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
    ]
    args += [stack.url, "--", str(inputs), str(rate / connections), mix, str(seed)]  # the script paces per connection
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    samples: list[float] = []
    statuses: dict[str, str] = {}
    requests_ = non2xx = errors = duration_us = 0
    for line in out.splitlines():
        if line.startswith("LATENCY_US"):
            samples = [int(us) / 1000 for us in line.split()[1:]]
        elif line.startswith("STATUSES"):
            statuses = dict(part.split(":") for part in line.split()[1:])
        elif line.startswith("SUMMARY"):
            requests_, non2xx, errors, duration_us = (int(v) for v in line.split()[1:])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    seconds_ = duration_us / 1e6
    return {
        "requests": requests_,
        "non_2xx": non2xx,
        "statuses": {k: int(v) for k, v in sorted(statuses.items())},
        "errors": errors,
        "seconds": round(seconds_, 2),
        "samples_ms": samples,
        "client_cpu_percent": round(100 * cpu / seconds_, 1) if seconds_ else None,
    }


def posts_count() -> int:
    return sql("default", "SELECT count(*) FROM event_log WHERE event_type = 'post.created'")[0][0]


def drain_seconds() -> float:
    """Seconds from now until every projector has applied every event of the log it handles
    (`projections status` lag 0; the relay has then published them). Counted in the databases only:
    the management API's queue depths are refreshed every 5 s, too coarse for a 1 s criterion.
    Polled every 50 ms (a few count queries, small next to the work it waits for)."""
    from socialapp.events.status import projector_status

    started = time.monotonic()

    def drained() -> bool:
        return all(r.lag == 0 for r in projector_status(queues=None))

    wait_for(drained, timeout=DRAIN_TIMEOUT, interval=0.05, what="every projector to catch up")
    return time.monotonic() - started


def events_per_batch(since: str) -> dict[str, float]:
    """Events each projector applied per transaction since `since` (a read-database timestamp): a
    batch's tracking rows share their `applied_at`, the transaction's start (`now()`), so distinct
    values count transactions. This is the batch size the projectors really ran at, the figure
    that says how much a set-based handler could amortise at this load."""
    rows = sql(
        "read",
        "SELECT projector, count(*)::float / greatest(1, count(DISTINCT applied_at))"
        " FROM projection_applied_event WHERE applied_at >= %s GROUP BY projector ORDER BY projector",
        [since],
    )
    return {name: round(ratio, 2) for name, ratio in rows}


def read_now() -> str:
    return sql("read", "SELECT now()::text")[0][0]


def step(stack: Stack, inputs: Path, rate: float) -> tuple[dict, dict[str, float]]:
    """One load step: posts at `rate` (0: open loop), then the drain; CPU seconds over both."""
    cpu_before, posts_before, since = cpu_snapshot(stack), posts_count(), read_now()
    run = run_wrk(stack, inputs, seconds=SECONDS, rate=rate)
    drain = drain_seconds()
    cpu = cpu_delta(cpu_before, cpu_snapshot(stack))
    accepted = posts_count() - posts_before
    samples = run.pop("samples_ms")
    result = {
        "offered_per_s": rate or None,
        **run,
        "posts_accepted": accepted,
        "posts_per_s": round(accepted / run["seconds"], 1) if run["seconds"] else 0.0,
        "drain_s": round(drain, 2),
        **quantiles_ms(samples, 0.5, 0.99),
        "events_per_batch": events_per_batch(since),
    }
    print(f"  step {rate or 'open'}: {result}", flush=True)
    return result, cpu


def sustained(stack: Stack, inputs: Path) -> tuple[list[dict], float]:
    steps, best = [], 0.0
    for rate in RATES:
        result, _ = step(stack, inputs, rate)
        steps.append(result)
        if result["posts_per_s"] < 0.95 * rate or result["drain_s"] >= SUSTAINED_DRAIN_S:
            break
        best = rate
    return steps, best


def command_latency(stack: Stack, inputs: Path, samples_wanted: int = LATENCY_SAMPLES) -> dict:
    seconds = samples_wanted / LATENCY_RATE
    many = {"mix": "mixed", "connections": LATENCY_CONNECTIONS}
    run_wrk(stack, inputs, seconds=min(5.0, seconds), rate=LATENCY_RATE, seed=7, **many)  # warm-up
    run = run_wrk(stack, inputs, seconds=seconds, rate=LATENCY_RATE, seed=11, **many)
    samples = run.pop("samples_ms")
    return {
        "rate_per_s": LATENCY_RATE,
        "connections": LATENCY_CONNECTIONS,
        "samples": len(samples),
        "achieved_per_s": round(run["requests"] / run["seconds"], 1) if run["seconds"] else 0.0,
        # Below 95 % of the rate the server could not keep up: the percentiles are not "at" it.
        "rate_held": bool(run["seconds"]) and run["requests"] / run["seconds"] >= 0.95 * LATENCY_RATE,
        **run,
        **quantiles_ms(samples, 0.5, 0.9, 0.99, 1),
        "p99_is_max": bool(samples) and percentile(samples, 0.99) == max(samples),
    }


@contextmanager
def pipeline_paused(stack: Stack) -> Iterator[None]:
    """Every process but the web server stopped (SIGSTOP to its process group) and then resumed:
    commands still commit their events to the log, nothing relays or applies them meanwhile."""
    groups = [proc.pid for kind, proc in stack.procs.items() if kind != "web"]
    for pgid in groups:
        os.killpg(pgid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pgid in groups:
            os.killpg(pgid, signal.SIGCONT)


def commands_alone(stack: Stack, inputs: Path) -> dict:
    """The command side's floor: posts as fast as the server answers, then the command mix at the
    latency rate, each with the pipeline paused (`pipeline_paused`) and the backlog drained after
    it (not timed); CPU per post of the web server and of PostgreSQL over the open-loop run."""
    # Two pauses, each well under two of the relay's AMQP heartbeats (EVENTS_BROKER_HEARTBEAT, 30 s):
    # a longer one would have the broker close its connection, and the run measure a reconnect.
    with pipeline_paused(stack):
        cpu_before, posts_before = cpu_snapshot(stack), posts_count()
        run = run_wrk(stack, inputs, seconds=SECONDS, rate=0)
        cpu = cpu_delta(cpu_before, cpu_snapshot(stack))
        accepted = posts_count() - posts_before
    drain_seconds()
    with pipeline_paused(stack):
        latency = command_latency(stack, inputs, ALONE_LATENCY_SAMPLES)
    drain_seconds()
    samples = run.pop("samples_ms")
    per_post = {k: round(1000 * v / max(1, accepted), 2) for k, v in sorted(cpu.items()) if v >= 0.01}
    result = {
        "open_loop": {
            **run,
            "posts_accepted": accepted,
            "posts_per_s": round(accepted / run["seconds"], 1) if run["seconds"] else 0.0,
            **quantiles_ms(samples, 0.5, 0.99),
        },
        "cpu_ms_per_post": per_post,
        "latency": latency,
    }
    print(f"  commands alone: {result['open_loop']} cpu/post {per_post}", flush=True)
    return result


@contextmanager
def bench_stack() -> Iterator[tuple[Stack, Path]]:
    use_own_databases(PREFIX)
    use_own_vhost(VHOST)
    settings.ELASTICSEARCH_INDEX_PREFIX = f"{PREFIX}_socialapp"
    settings.CACHES["default"]["KEY_PREFIX"] = PREFIX
    reset()
    raised = "1000000/min"
    env = bench_env(
        API_THROTTLE_USER=raised,
        API_THROTTLE_ANON=raised,
        API_THROTTLE_LOGIN=raised,
        API_THROTTLE_REGISTER=raised,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    with tempfile.TemporaryDirectory(prefix="bench-system-") as tmp:
        inputs = Path(tmp) / "authors.txt"
        make_authors(AUTHORS, inputs)
        stack = Stack(env, Path(tmp) / "celerybeat-schedule")
        try:
            stack.start()
            yield stack, inputs
        finally:
            stack.stop()
            drop_vhost(VHOST)


def main() -> None:
    with bench_stack() as (stack, inputs):
        add_posts(inputs, stack, 2 * AUTHORS)
        drain_seconds()
        print("open loop (as fast as the server answers):", flush=True)
        open_loop, cpu = step(stack, inputs, 0)
        per_post = {k: round(1000 * v / max(1, open_loop["posts_accepted"]), 2) for k, v in sorted(cpu.items())}
        steps, best = sustained(stack, inputs)
        latency = command_latency(stack, inputs)
        drain_seconds()
        print("the command side alone (pipeline paused):", flush=True)
        alone = commands_alone(stack, inputs)
    result = {
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "authors": AUTHORS,
        "connections": CONNECTIONS,
        "step_seconds": SECONDS,
        "web": f"gunicorn --workers {WEB_WORKERS} --threads {WEB_THREADS}",
        "open_loop": open_loop,
        "cpu_seconds_open_loop": {k: round(v, 2) for k, v in sorted(cpu.items())},
        "cpu_ms_per_post": per_post,
        "ceiling_if_projectors_were_free": ceiling_if_projectors_were_free(stack, per_post),
        "steps": steps,
        "sustained_posts_per_s": best,
        "sustained_rule": f"accepted >= 95% of offered and drain < {SUSTAINED_DRAIN_S:g} s",
        "latency": latency,
        "commands_alone": alone,
    }
    write_json("system", result)
    bar_charts(
        "system",
        [
            Bars("CPU ms per post (open loop)", list(per_post), list(per_post.values()), rotate=45),
            Bars(
                "posts/s accepted by offered rate",
                [f"{s['offered_per_s']:g}/s" for s in steps],
                [s["posts_per_s"] for s in steps],
            ),
            Bars(f"command latency at {LATENCY_RATE:g}/s (ms)", ["p50", "p99"], [latency["p50_ms"], latency["p99_ms"]]),
            Bars(
                "CPU ms per post, pipeline paused",
                list(alone["cpu_ms_per_post"]),
                list(alone["cpu_ms_per_post"].values()),
                rotate=45,
            ),
        ],
    )
    print_figures(
        {
            "open-loop posts/s": open_loop["posts_per_s"],
            "open-loop drain s": open_loop["drain_s"],
            "sustained posts/s": best,
            "latency p50/p99 ms": f"{latency['p50_ms']} / {latency['p99_ms']} ({latency['samples']} samples)",
            "wrk CPU % (latency run)": latency["client_cpu_percent"],
            "events per batch (open loop)": open_loop["events_per_batch"],
            "ceiling if projectors were free": result["ceiling_if_projectors_were_free"],
            "commands alone posts/s": alone["open_loop"]["posts_per_s"],
            "commands alone latency p50/p99 ms": f"{alone['latency']['p50_ms']} / {alone['latency']['p99_ms']}",
            **{f"commands alone cpu ms/post {k}": v for k, v in alone["cpu_ms_per_post"].items()},
            **{f"cpu ms/post {k}": v for k, v in per_post.items()},
        }
    )


if __name__ == "__main__":
    main()
