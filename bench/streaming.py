"""Real-time push (issue 16): thousands of SSE connections held open on one streaming process, and
the time from a post's commit to its arrival on its followers' streams, at 100 posts/s, through
the whole stack.

    python -m bench.streaming                  # or `make bench-streaming` (also in `make bench`)
    BENCH_STREAMING_CONNECTIONS=20 BENCH_STREAMING_HOLD_SECONDS=5 ... python -m bench.streaming   # smoke

The load client is not Python: bench/streaming_client/ (Go, standard library only), built with
`go build` into a temporary folder at every run. It opens the connections (timing each from dial
to response headers), holds them, parses every SSE event and records each `update` event's
arrival time (unix ns, this machine's clock) with its status id; meanwhile it sends the posts
over HTTP at a fixed rate (open loop) and polls a few readers' home feeds (the baseline below).

Data (a database pair of its own, `benchstream_<db>`, reseeded each run; SQL straight into the
write tables and the read models, as the pipeline would have left them): BENCH_STREAMING_READERS
readers (2,000) and BENCH_STREAMING_AUTHORS authors (20); every author is followed by
BENCH_STREAMING_AUDIENCE readers (100; consecutive readers from a per-author offset, so each
reader follows AUTHORS * AUDIENCE / READERS authors), and the BENCH_STREAMING_POLLERS pollers of
the baseline (users of their own, no stream; `Shape.poller` says why) follow one author each.
Every reader, author and poller has a session issued by the
command side's own path (`token_issue`: the row, and the record in the Redis session cache the
streaming server authenticates from). FEED_FANOUT_CHUNK is BENCH_STREAMING_FANOUT_CHUNK (50):
each post's fan-out is cut into AUDIENCE / 50 chunk jobs run by the Celery task worker, as an
author's with more followers than a chunk would be in production; FEED_CELEBRITY_THRESHOLD stays
above the audience (every post is fanned out, so every follower's home stream gets it).

Why an audience of 100 per post and not all 2,000 readers: at 100 posts/s, a post reaching every
reader is 200,000 feed rows and 200,000 SSE events a second, on a 2-core machine that also runs
PostgreSQL, RabbitMQ, the projectors and the web server. At an audience of 100 it is 10,000 of
each a second, every connection gets ~5 events/s, and the 2,000 connections are all held for the
minute. BENCH_STREAMING_AUDIENCE=2000 with a lower BENCH_STREAMING_POST_RATE gives the "everyone
follows everyone" shape at the same delivery rate.

The stack, on this benchmark's databases, vhost and cache prefix, DEBUG off: the relay, one
worker per projector (all but search), the Celery task worker (fan-out chunks), the web server
(the shipped `web-queries` gunicorn line, as bench/reads.py serves it; it takes the posts too) and
the streaming server (devkit.streaming.start_streaming_server: `uvicorn
socialapp.streaming.asgi:application`, one process).

Three runs on one stack, the Go client opening BENCH_STREAMING_CONNECTIONS (2,000) connections
to BENCH_STREAMING_PATH (`/api/socialapp/v1/stream?stream=user`; `/api/v1/streaming/user` for
Mastodon's), one per reader, at the start of each (the projectors' backlog drained first):

1. the target: with every connection idle, the streaming process's RSS is read again (memory per
   idle connection = (RSS with N - RSS with 0) / N); then the connections are held for
   BENCH_STREAMING_HOLD_SECONDS (60) and during the first BENCH_STREAMING_POST_SECONDS (50) the
   client posts BENCH_STREAMING_POST_RATE (100) posts/s (open loop, at most 64 outstanding: a post
   due beyond that is skipped and counted), the authors' tokens rotated. Posts of the first
   BENCH_STREAMING_WARMUP_SECONDS (5) are the warm-up (connections, caches, plans) and left out;
2. the same at BENCH_STREAMING_LOW_POST_RATE (5 posts/s; 0: skipped): a rate this shared 2-core
   machine sustains, so that the latency is the pipeline's and not a queue's (`at_lower_rate`);
3. the streaming server alone (`server_alone`): no command, no projector; `update` push messages
   for posts of run 1 are published straight to the streams exchange the way the projectors
   publish them (socialapp.read.push.publisher), BENCH_STREAMING_SYNTHETIC_RATE (100) a second for
   BENCH_STREAMING_SYNTHETIC_SECONDS (20), each to AUDIENCE readers (10,000 pushes/s at the
   defaults); published -> arrival at the client. When py-spy is at hand (PATH, or
   BENCH_STREAMING_PYSPY), it samples the streaming process meanwhile: `streaming_profile`, the
   share of samples per function, is where the server's time goes.

Figures (bench/results/streaming.json and .png), for runs 1 and 2:
- connections opened, failed, dropped before the end, open at the end; connect-phase timings;
- commit -> pushed: for every (follower connection, post), arrival time minus the post's
  `created_at` as the command API returned it (set in the command's transaction just before its
  commit: an upper bound of commit time -> pushed by the transaction's few ms), p50/p90/p99/p99.9;
  also from the POST response's arrival at the client (after the commit: a lower bound); per post,
  the first and the last of its followers' arrivals; deliveries expected (a post's connected
  followers), received, missing (a sample of them), duplicated, to non-followers, and posts pushed
  to nobody;
- the split (`split`), from a broker probe of this process bound to `user.<id>` of one follower of
  each author: command commit -> the feed effect's push message published (the pipeline: relay,
  home-feed projector, fan-out chunk task; `committed_at` is stamped as it is published),
  published -> consumed by the probe (the raw broker hop), published -> the SSE event at the Go
  client for the same follower (broker + streaming server);
- the baseline, the same posts seen by polling: BENCH_STREAMING_POLLERS users (5, following one
  author each, no stream) poll their home feed (`GET /api/socialapp/v1/feed`, first page) every
  BENCH_STREAMING_POLL_MS (100) ms; commit -> first seen on the polled page. That is what a client
  gets without push when it polls 10 times a second (a real client polls far less often; its
  latency grows by half its interval), and it bounds from above when the feed row became
  readable, which a push follows;
- the processes' CPU seconds during the hold (from /proc; `all` is the whole machine: other
  users of this shared machine show as the difference), the streaming server's own /metrics.

Targets (issue 16): >= 2,000 connections held for the minute; commit -> pushed p50 <= 50 ms and
p99 <= 200 ms at 100 posts/s.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLIENT_SOURCE = Path(__file__).with_name("streaming_client")
VHOST = "socialapp_bench_streaming"
METRICS_TOKEN = "bench-streaming-metrics"  # the streaming server's /metrics secret in this run
CACHE_PREFIX = "benchstream"
PROJECTORS = os.environ.get("BENCH_STREAMING_PROJECTORS", "home_feed,posts,profiles,notifications,relations").split(",")
TARGETS = {"connections": 2000, "p50_ms": 50, "p99_ms": 200, "post_rate": 100}
ACCOUNT_COLUMNS = "id password is_superuser username first_name last_name email is_staff is_active date_joined display_name bio version"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class Shape:
    readers: int = _env_int("BENCH_STREAMING_READERS", 2000)
    authors: int = _env_int("BENCH_STREAMING_AUTHORS", 20)
    audience: int = _env_int("BENCH_STREAMING_AUDIENCE", 100)  # followers of each author
    fanout_chunk: int = _env_int("BENCH_STREAMING_FANOUT_CHUNK", 50)
    connections: int = _env_int("BENCH_STREAMING_CONNECTIONS", 2000)
    hold_seconds: float = _env_float("BENCH_STREAMING_HOLD_SECONDS", 60)
    post_rate: float = _env_float("BENCH_STREAMING_POST_RATE", 100)
    post_seconds: float = _env_float("BENCH_STREAMING_POST_SECONDS", 50)
    # A second run at a rate this machine sustains (0: none), same stack and connections count.
    low_post_rate: float = _env_float("BENCH_STREAMING_LOW_POST_RATE", 5)
    warmup_seconds: float = _env_float("BENCH_STREAMING_WARMUP_SECONDS", 5)
    # The streaming server alone: push messages published straight to the exchange (no command,
    # no projector), this many a second, each to `audience` readers, for `synthetic_seconds`.
    synthetic_rate: float = _env_float("BENCH_STREAMING_SYNTHETIC_RATE", 100)
    synthetic_seconds: float = _env_float("BENCH_STREAMING_SYNTHETIC_SECONDS", 20)
    pollers: int = _env_int("BENCH_STREAMING_POLLERS", 5)
    poll_ms: int = _env_int("BENCH_STREAMING_POLL_MS", 100)
    path: str = os.environ.get("BENCH_STREAMING_PATH", "/api/socialapp/v1/stream?stream=user")
    web_port: int = _env_int("BENCH_STREAMING_WEB_PORT", 8768)
    stream_port: int = _env_int("BENCH_STREAMING_PORT", 8769)

    def author(self, k: int) -> int:
        """User id of the k-th author (readers are 1..readers)."""
        return self.readers + 1 + k

    def poller(self, k: int) -> int:
        """User id of the k-th poller: a follower of author k % authors with no stream. Not one of
        the readers: a poll of an empty home feed regenerates it, and a post that the
        regeneration writes first is not pushed by the fan-out (its insert adds no row), which
        would count as a missed push for a connected poller."""
        return self.readers + self.authors + 1 + k

    def all_followers(self, k: int) -> list[int]:
        """The readers following the k-th author and the pollers that do."""
        return self.followers(k) + [self.poller(j) for j in range(self.pollers) if j % max(1, self.authors) == k]

    def followers(self, k: int) -> list[int]:
        """The readers following the k-th author: `audience` consecutive ones from an offset that
        spreads the authors evenly over the readers."""
        start = (k * self.readers) // max(1, self.authors)
        return [1 + (start + j) % self.readers for j in range(min(self.audience, self.readers))]


# ------------------------------------------------------------------------------ data
def seed(shape: Shape) -> dict:
    """Both databases as the command side and the pipeline would have left them after the users
    registered and followed: users, follows, profiles, the feeds' and the visibility rule's
    follow copies, the authors' follower counts. No posts."""
    from bench.common import sql
    from bench.network import CLEARED_READ_TABLES, WRITE_TABLES
    from bench.seed import T0, copy_rows

    users = range(1, shape.readers + shape.authors + shape.pollers + 1)
    follows = [(f, shape.author(k)) for k in range(shape.authors) for f in shape.all_followers(k)]
    follower_count = {shape.author(k): len(shape.all_followers(k)) for k in range(shape.authors)}
    following_count: dict[int, int] = {}
    for f, _ in follows:
        following_count[f] = following_count.get(f, 0) + 1
    sql("default", f"TRUNCATE event_log, {', '.join(WRITE_TABLES)} CASCADE")
    sql("read", f"TRUNCATE {', '.join(CLEARED_READ_TABLES)}, read_relation_follow, read_block, read_mute")
    copy_rows("default", "accounts_user", ACCOUNT_COLUMNS,
              ((u, "!", False, f"user{u}", "", "", f"user{u}@bench.invalid", False, True, T0, f"User {u}", "", 1)
               for u in users))  # fmt: skip
    sql("default", "SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [len(users)])
    copy_rows("default", "follows_follow", "follower_id followee_id active changed_at version",
              ((f, a, True, T0, 1) for f, a in follows))  # fmt: skip
    copy_rows("read", "read_profile",
              "user_id username username_lower display_name bio registered_at version follower_count"
              " following_count post_count",
              ((u, f"user{u}", f"user{u}", f"User {u}", "", T0, 1, follower_count.get(u, 0),
                following_count.get(u, 0), 0) for u in users))  # fmt: skip
    copy_rows("read", "read_post_author", "user_id username display_name version deactivated",
              ((u, f"user{u}", f"User {u}", 1, False) for u in users))  # fmt: skip
    copy_rows("read", "read_follow_edge", "follower_id followee_id active version since",
              ((f, a, True, 1, T0) for f, a in follows))  # fmt: skip
    copy_rows("read", "feed_follow", "followee_id follower_id active version", ((a, f, True, 1) for f, a in follows))
    copy_rows("read", "read_relation_follow", "follower_id followee_id active version",
              ((f, a, True, 1) for f, a in follows))  # fmt: skip
    copy_rows("read", "feed_author", "user_id follower_count deactivated has_unfanned",
              ((u, follower_count.get(u, 0), False, False) for u in users))  # fmt: skip
    for alias in ("default", "read"):
        sql(alias, "ANALYZE")
    return {"users": len(users), "follows": len(follows), "followers_per_author": sorted(set(follower_count.values())),
            "authors_per_reader": round(len(follows) / shape.readers, 2)}  # fmt: skip


def issue_tokens(shape: Shape, folder: Path) -> dict[str, Path]:
    """A session per connection's reader, per author and per poller, through the command side's
    own path (bench/reads.py's `issue_tokens`); a token file each."""
    from bench import reads

    readers = [1 + i % shape.readers for i in range(shape.connections)]
    pollers = [shape.poller(k) for k in range(shape.pollers)]
    files = reads.issue_tokens(
        {"readers": readers, "authors": [shape.author(k) for k in range(shape.authors)], "pollers": pollers}, folder
    )
    files["reader_ids"] = folder / "reader_ids.json"
    files["reader_ids"].write_text(json.dumps({"readers": readers, "pollers": pollers}))
    return files


# ------------------------------------------------------------------------------ processes
def raise_open_files(needed: int) -> dict[str, int]:
    """RLIMIT_NOFILE up to `needed` (within the hard limit) for this process and the children it
    starts (the streaming server holds a socket per connection, the client one per stream)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed)) if hard != resource.RLIM_INFINITY else max(soft, needed)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return {"soft": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "hard": hard, "needed": needed}


def build_client(folder: Path) -> Path:
    """`go build` of bench/streaming_client into `folder` (never committed)."""
    go = shutil.which("go") or "/usr/local/go/bin/go"
    out = folder / "streaming_client"
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    subprocess.run([go, "build", "-o", str(out), "."], cwd=CLIENT_SOURCE, env=env, check=True)
    return out


class Stack:
    """Relay, a worker per projector, the Celery task worker, the web server and the streaming
    server, on this benchmark's databases, vhost and cache prefix."""

    def __init__(self, shape: Shape) -> None:
        from bench.common import bench_env

        self.shape = shape
        self.env = bench_env(
            FEED_FANOUT_CHUNK=str(shape.fanout_chunk),
            FEED_CELEBRITY_THRESHOLD=str(max(10 * shape.audience, 10000)),
            API_THROTTLE_USER="1000000/s",
            API_THROTTLE_ANON="1000000/s",
            STREAMING_MAX_CONNECTIONS=str(max(10000, 2 * shape.connections)),
            METRICS_TOKEN=METRICS_TOKEN,
        )
        self.children: list = []
        self.streaming = None
        self.web = None

    def start(self) -> None:
        from bench import reads
        from devkit.processes import celery_worker, start_relay, wait_for
        from devkit.streaming import start_streaming_server
        from socialapp.events.topology import queue_name

        workers = {
            name: celery_worker([queue_name(name)], name=f"bench-stream-{name}", extra=["-P", "solo"], env=self.env)
            for name in PROJECTORS
        }
        self.children.extend(workers.values())
        for name, worker in workers.items():
            wait_for(lambda w=worker, n=name: f"projector {n} consuming" in w.log() or w.proc.poll() is not None,
                     timeout=180, what=f"worker {name}")  # fmt: skip
            if worker.proc.poll() is not None:
                raise RuntimeError(f"worker {name} exited:\n{worker.log()}")
        self.children.append(celery_worker(["celery"], name="bench-stream-tasks", env=self.env))
        self.children.append(start_relay(name="bench-stream-relay", env=self.env))
        saved = reads.PORT
        reads.PORT = self.shape.web_port
        try:
            self.web = reads.start_web(self.env, "bench-stream-web")
        finally:
            reads.PORT = saved
        self.children.append(self.web)
        self.streaming = start_streaming_server(port=self.shape.stream_port, env=self.env, name="bench-stream-server")

    def process_groups(self) -> dict[str, int]:
        """Name -> process group id of each child (each runs in a session of its own)."""
        groups = {Path(c.log_path).stem.rsplit("-", 1)[0]: c.pid for c in self.children}
        if self.streaming is not None and self.streaming.pid:
            groups["streaming"] = self.streaming.pid
        return groups

    def stop(self) -> None:
        if self.streaming is not None:
            self.streaming.stop()
        for child in reversed(self.children):
            child.stop()


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, from /proc (kB)."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def cpu_seconds_by_group(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system, with the reaped children's) used so far by each process
    group's live processes, by the PostgreSQL, RabbitMQ and Redis servers (shared with whatever
    else runs on this machine), and by the whole machine (`all`, from /proc/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    by_pgid = {pgid: name for name, pgid in groups.items()}
    out = dict.fromkeys(groups, 0.0)
    for name in ("postgres", "rabbitmq(beam)", "redis"):
        out[name] = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        pgrp, used = int(fields[2]), sum(int(f) for f in fields[11:15]) / tick
        if pgrp in by_pgid:
            out[by_pgid[pgrp]] += used
        elif comm.startswith("postgres"):
            out["postgres"] += used
        elif comm.startswith("beam"):
            out["rabbitmq(beam)"] += used
        elif comm.startswith("redis"):
            out["redis"] += used
    busy = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    out["all"] = (sum(int(x) for x in busy) - int(busy[3]) - int(busy[4])) / tick  # minus idle, iowait
    return out


def scrape_metrics(stack: Stack) -> dict:
    """The streaming process's own counters and push-latency histogram (its /metrics)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    assert stack.streaming is not None
    request = urllib.request.Request(
        stack.streaming.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
    except OSError as exc:
        return {"error": repr(exc)}
    out: dict = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return out


# ------------------------------------------------------------------------------ the run
class BrokerProbe:
    """A consumer of the streams exchange of its own, bound to `user.<id>` of one follower of
    each author: every post's push message for that follower, stamped on arrival here. With the
    message's `committed_at` (stamped by the projector as it publishes, after its commit) it splits
    commit -> pushed into the pipeline (command commit -> feed effect published), the broker hop
    (published -> consumed here: the raw broker latency) and the streaming server's hop
    (published -> the SSE event at the Go client, for the same follower's connection)."""

    def __init__(self, user_ids: list[int]) -> None:
        import threading

        self.user_ids = sorted(set(user_ids))
        self.received: list[tuple[int, dict]] = []
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        from django.conf import settings
        from kombu import Connection, Consumer, Queue

        from socialapp.read.push.messages import route_user
        from socialapp.read.push.publisher import STREAMS_EXCHANGE

        try:
            with Connection(settings.CELERY_BROKER_URL) as connection:
                channel = connection.channel()
                STREAMS_EXCHANGE.declare(channel=channel)
                queue = Queue(f"bench-streaming-probe-{os.getpid()}", exclusive=True, auto_delete=True, channel=channel)
                queue.declare()
                for user in self.user_ids:
                    queue.bind_to(STREAMS_EXCHANGE, routing_key=route_user(user))

                def on_message(body: bytes | dict, message: object) -> None:  # kombu decodes the JSON
                    self.received.append((time.time_ns(), body if isinstance(body, dict) else json.loads(body)))

                with Consumer(channel, [queue], callbacks=[on_message], accept=None, no_ack=True):
                    self.ready.set()
                    while not self.stop_event.is_set():
                        with contextlib.suppress(TimeoutError):
                            connection.drain_events(timeout=0.2)
        except BaseException as exc:  # reported by stop(); the run goes on without the split
            self.error = exc
            self.ready.set()

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(30)

    def stop(self) -> list[tuple[int, dict]]:
        self.stop_event.set()
        self.thread.join(10)
        if self.error is not None:
            print(f"broker probe failed: {self.error!r}", flush=True)
        return self.received


def run_client(
    client: Path, shape: Shape, tokens: dict[str, Path], stack: Stack, folder: Path, synthetic: Callable | None = None
) -> dict:
    """The Go client against the stack; RSS of the streaming process idle with 0 and with all
    connections; CPU per process group over the hold. Returns the client's JSON plus those.
    With `synthetic`, the client only holds its streams and `synthetic()` (on a thread, from the
    start of the hold) drives the load; its return value is the result's `synthetic`."""
    out = folder / "client.json"
    args = [
        str(client), "-stream-url", f"http://127.0.0.1:{shape.stream_port}{shape.path}",
        "-tokens", str(tokens["readers"]), "-connections", str(shape.connections),
        "-hold", f"{shape.hold_seconds}s", "-out", str(out), "-wait-stdin",
    ]  # fmt: skip
    if synthetic is None:
        args += ["-post-url", f"http://127.0.0.1:{shape.web_port}/api/socialapp/v1/posts",
                 "-post-tokens", str(tokens["authors"]), "-post-rate", str(shape.post_rate),
                 "-post-duration", f"{shape.post_seconds}s"]  # fmt: skip
    if shape.pollers and synthetic is None:
        args += ["-poll-url", f"http://127.0.0.1:{shape.web_port}/api/socialapp/v1/feed?limit=20",
                 "-poll-tokens", str(tokens["pollers"]), "-poll-interval", f"{shape.poll_ms}ms"]  # fmt: skip
    assert stack.streaming is not None and stack.streaming.pid
    pid = stack.streaming.pid
    probe = BrokerProbe([shape.followers(k)[0] for k in range(shape.authors)])
    probe.start()
    rss_idle_0 = rss_kb(pid)
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"client: {line!r} (exit {proc.wait()})")
        ready = json.loads(line[len("READY ") :])
        print(f"client ready: {ready}", flush=True)
        time.sleep(3)  # let the server finish its per-connection set-up (auth, bindings) before reading memory
        rss_idle_n = rss_kb(pid)
        groups = stack.process_groups()
        groups["go-client"] = os.getpgid(proc.pid)
        cpu_before = cpu_seconds_by_group(groups)
        started = time.monotonic()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        driven: list = []
        driver = None
        if synthetic is not None:
            import threading

            driver = threading.Thread(target=lambda: driven.append(synthetic()), daemon=True)
            driver.start()
        time.sleep(max(0.0, shape.hold_seconds - 1))
        cpu_after = cpu_seconds_by_group(groups)
        seconds = time.monotonic() - started
        rss_loaded = rss_kb(pid)
        if proc.wait(timeout=shape.hold_seconds + 120) != 0:
            raise RuntimeError(f"client exited {proc.returncode}")
        if driver is not None:
            driver.join(60)
        server_metrics = scrape_metrics(stack)
    finally:
        probed = probe.stop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result = json.loads(out.read_text())
    result["ready"] = ready
    result["probe"] = {"users": probe.user_ids, "received": probed}
    result["server_metrics"] = server_metrics
    if synthetic is not None:
        result["synthetic"] = driven[0] if driven else []
    result["rss_kb"] = {"idle_0": rss_idle_0, "idle_n": rss_idle_n, "loaded": rss_loaded}
    # To the clock tick (10 ms), not to 0.1 s: the smoke test's streaming server uses a few
    # hundredths of a second in its short hold, which 0.1 s rounded to 0.0 (a measurement lost).
    result["cpu_seconds"] = {
        "window_seconds": round(seconds, 1),
        **{k: round(cpu_after.get(k, 0) - v, 2) for k, v in cpu_before.items()},
    }
    return result


def _ns(iso: str) -> int:
    dt = datetime.fromisoformat(iso)
    return int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000


def _q(values: list[float], *qs: float) -> dict:
    from bench.measure import percentile

    if not values:
        return {"samples": 0}
    return {"samples": len(values), **{f"p{round(q * 100, 1):g}_ms": round(percentile(values, q), 2) for q in qs},
            "max_ms": round(max(values), 2), "mean_ms": round(sum(values) / len(values), 2)}  # fmt: skip


def figures(shape: Shape, raw: dict, ids: dict) -> dict:
    """Every figure of the JSON from the client's records, the warm-up's posts left out:
    connections, latencies, completeness, the polling baseline, memory and CPU."""
    readers, pollers = ids["readers"], ids["pollers"]
    followers = {shape.author(k): set(shape.all_followers(k)) for k in range(shape.authors)}
    warm_until = raw["post_started_ns"] + int(shape.warmup_seconds * 1e9)
    created = [p for p in raw["posts"] if p["status"] == 201 and p["id"]]
    posts = {  # the client rotates the authors' tokens by its sequence number
        p["id"]: {"created_ns": _ns(p["created_at"]), "responded_ns": p["responded_ns"],
                  "author": shape.author(p["seq"] % shape.authors)}
        for p in created if p["sent_ns"] >= warm_until
    }  # fmt: skip
    conns_of_user: dict[int, int] = {}
    for u in readers[: shape.connections]:
        conns_of_user[u] = conns_of_user.get(u, 0) + 1
    expected = sum(sum(conns_of_user.get(f, 0) for f in followers[p["author"]]) for p in posts.values())
    pushed, from_response, first, last = [], [], {}, {}
    seen: set[tuple[int, str]] = set()
    duplicates = strangers = 0
    for conn, sid, ns in raw["arrivals"]:
        post = posts.get(sid)
        if post is None:
            continue
        if readers[conn] not in followers[post["author"]]:
            strangers += 1  # pushed to a reader who does not follow the author: a privacy bug
        if (conn, sid) in seen:
            duplicates += 1
            continue
        seen.add((conn, sid))
        pushed.append((ns - post["created_ns"]) / 1e6)
        from_response.append((ns - post["responded_ns"]) / 1e6)
        first[sid] = min(first.get(sid, ns), ns)
        last[sid] = max(last.get(sid, ns), ns)
    reached = {(readers[c], sid) for c, sid in seen}
    missing_sample = []  # a few (reader, post, seconds from the first post to its commit): lost, or late?
    for sid, post in posts.items():
        for user in sorted(followers[post["author"]]):
            if len(missing_sample) < 5 and conns_of_user.get(user) and (user, sid) not in reached:
                missing_sample.append((user, sid, round((post["created_ns"] - raw["post_started_ns"]) / 1e9, 2)))
    polled = []
    for key, ns in raw["poll_first_seen_ns"].items():
        k, sid = key.split(":", 1)
        post = posts.get(sid)
        if post is not None and pollers[int(k)] in followers[post["author"]]:
            polled.append((ns - post["created_ns"]) / 1e6)
    # the split, for the probe's followers: pipeline, broker, streaming server
    arrival_of: dict[tuple[int, str], int] = {}
    for conn, sid, ns in raw["arrivals"]:
        key = (readers[conn], sid)
        arrival_of[key] = min(arrival_of.get(key, ns), ns)
    probed = set(raw["probe"]["users"])
    pipeline_ms, broker_ms, hop_ms = [], [], []
    for received_ns, message in raw["probe"]["received"]:
        status = message.get("status") or {}
        post = posts.get(str(status.get("id")))
        if message.get("kind") != "update" or post is None:
            continue
        published_ns = int(message["committed_at"] * 1e9)
        for user in probed.intersection(message.get("recipients") or ()):
            pipeline_ms.append((published_ns - post["created_ns"]) / 1e6)
            broker_ms.append((received_ns - published_ns) / 1e6)
            if (user, str(status["id"])) in arrival_of:
                hop_ms.append((arrival_of[(user, str(status["id"]))] - published_ns) / 1e6)
    rss = raw["rss_kb"]
    post_seconds = max(1e-9, (raw["post_ended_ns"] - raw["post_started_ns"]) / 1e9)
    quantiles = (0.5, 0.9, 0.99, 0.999)
    out = {
        "connections": {
            "wanted": shape.connections,
            "opened": raw["opened"],
            "failed": raw["failed"],
            "failure_kinds": raw["failure_kinds"],
            "dropped_before_end": raw["dropped"],
            "drop_kinds": raw["drop_kinds"],
            "open_at_end": raw["open_at_end"],
            "held_seconds": round(raw["held_seconds"], 1),
            "connect_phase_ms": round(raw["connect_phase_ms"], 1),
            "connect_ms": _q(raw["connect_ms"] or [], 0.5, 0.99),
        },
        "posts": {
            "target_per_s": shape.post_rate,
            "sent": len(raw["posts"]),
            "created": len(created),
            "achieved_per_s": round(len(created) / post_seconds, 1),
            "skipped_client_busy": raw["posts_skipped"],
            "refused": len(raw["posts"]) - len(created),
            "refusals": sorted(
                {p.get("error") or str(p["status"]) for p in raw["posts"] if p["status"] != 201 or not p["id"]}
            )[:5],
            "command_latency": _q([(p["responded_ns"] - p["sent_ns"]) / 1e6 for p in created], 0.5, 0.99),
            "measured_after_warmup": len(posts),
        },
        "events": {"by_kind": raw["events"], "heartbeats": raw["heartbeats"], "malformed_updates": raw["malformed"]},
        "deliveries": {
            "expected": expected,
            "received": len(seen),
            "missing": expected - len(seen),
            "duplicates": duplicates,
            "to_non_followers": strangers,
            "missing_sample": missing_sample,
            # posts pushed to none of their followers within the hold: late (a backlog), or lost
            # whole (the streaming server renders a post once; a render before the posts
            # projector wrote the row is None, and that is cached). The split tells which.
            "posts_pushed_to_nobody": sum(1 for sid in posts if sid not in first),
            "per_s": round(len(seen) / post_seconds, 1),
        },
        "commit_to_pushed": _q(pushed, *quantiles),
        "response_to_pushed": _q(from_response, *quantiles),
        "commit_to_first_follower": _q([(first[s] - posts[s]["created_ns"]) / 1e6 for s in first], *quantiles),
        "commit_to_last_follower": _q([(last[s] - posts[s]["created_ns"]) / 1e6 for s in last], *quantiles),
        "split": {
            "followers_probed": len(probed),
            "commit_to_published": _q(pipeline_ms, *quantiles),
            "published_to_broker_consumer": _q(broker_ms, *quantiles),
            "published_to_pushed": _q(hop_ms, *quantiles),
        },
        "baseline_polling": {
            "pollers": shape.pollers,
            "interval_ms": shape.poll_ms,
            "polls": raw["polls"],
            "poll_errors": raw["poll_errors"],
            "commit_to_seen": _q(polled, *quantiles),
        },
        "memory": {
            "rss_kb_idle_0": rss["idle_0"],
            "rss_kb_idle_n": rss["idle_n"],
            "rss_kb_after_load": rss["loaded"],
            "idle_connections": raw["ready"]["opened"],
            "kb_per_idle_connection": round((rss["idle_n"] - rss["idle_0"]) / max(1, raw["ready"]["opened"]), 1),
        },
        "cpu_seconds_during_hold": raw["cpu_seconds"],
        "server_metrics": raw["server_metrics"],
    }
    c, p = out["connections"], out["commit_to_pushed"]
    held = min(c["opened"], c["open_at_end"])
    out["targets"] = {
        "connections_held": {"target": f">= {TARGETS['connections']} for the hold", "value": held,
                             "pass": held >= TARGETS["connections"]},
        "post_rate": {"target": f">= {TARGETS['post_rate']}/s", "value": out["posts"]["achieved_per_s"],
                      "pass": out["posts"]["achieved_per_s"] >= 0.95 * TARGETS["post_rate"]},
        "p50_ms": {"target": f"<= {TARGETS['p50_ms']}", "value": p.get("p50_ms"),
                   "pass": p.get("p50_ms") is not None and p["p50_ms"] <= TARGETS["p50_ms"]},
        "p99_ms": {"target": f"<= {TARGETS['p99_ms']}", "value": p.get("p99_ms"),
                   "pass": p.get("p99_ms") is not None and p["p99_ms"] <= TARGETS["p99_ms"]},
    }  # fmt: skip
    return out


def publish_synthetic(shape: Shape, posts: list[tuple[int, int]]) -> list[tuple[int, list[int], int]]:
    """`update` push messages for existing posts, published as the projectors publish them
    (socialapp.read.push.publisher), synthetic_rate a second for synthetic_seconds, each to
    `audience` readers with streams; a (reader, post) pair is used once. Returns (post id,
    readers, publish time in unix ns) per message."""
    from socialapp.read.push.messages import Kind, StatusFacts, route_user
    from socialapp.read.push.publisher import effect, publish

    used: set[tuple[int, int]] = set()
    records = []
    due = time.monotonic()
    for i in range(int(shape.synthetic_rate * shape.synthetic_seconds)):
        post_id, author = posts[i % len(posts)]
        readers: list[int] = []
        candidate = (i * shape.audience) % shape.readers
        for _ in range(shape.readers):
            reader = 1 + candidate % shape.readers
            candidate += 1
            if (reader, post_id) not in used:
                used.add((reader, post_id))
                readers.append(reader)
                if len(readers) == min(shape.audience, shape.readers):
                    break
        if not readers:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        due += 1 / shape.synthetic_rate
        message = effect(Kind.UPDATE, post_id, event_id=f"bench-synthetic-{i}", position=1, event_type="post.created",
                         occurred_at=time.time(), status=StatusFacts(id=post_id, author_id=author, visibility="public"),
                         recipients=tuple(readers))  # fmt: skip
        publish(message, [route_user(r) for r in readers])
        records.append((post_id, readers, time.time_ns()))
    return records


def synthetic_figures(shape: Shape, raw: dict, ids: dict) -> dict:
    """Published -> pushed for the synthetic messages, deliveries, the server's CPU."""
    readers = ids["readers"]
    conns_of_user: dict[int, list[int]] = {}
    for c, u in enumerate(readers[: shape.connections]):
        conns_of_user.setdefault(u, []).append(c)
    published: dict[tuple[int, str], int] = {}
    for post_id, users, ns in raw["synthetic"]:
        for u in users:
            for c in conns_of_user.get(u, []):
                published[(c, str(post_id))] = ns
    latencies = []
    seen = set()
    for conn, sid, ns in raw["arrivals"]:
        key = (conn, sid)
        if key in published and key not in seen:
            seen.add(key)
            latencies.append((ns - published[key]) / 1e6)
    seconds = max(1e-9, shape.synthetic_seconds)
    return {
        "messages": len(raw["synthetic"]),
        "messages_per_s": round(len(raw["synthetic"]) / seconds, 1),
        "deliveries": {"expected": len(published), "received": len(seen), "missing": len(published) - len(seen),
                       "per_s": round(len(seen) / seconds, 1)},
        "published_to_pushed": _q(latencies, 0.5, 0.9, 0.99, 0.999),
        "connections": {"opened": raw["opened"], "open_at_end": raw["open_at_end"], "dropped": raw["dropped"],
                        "drop_kinds": raw["drop_kinds"]},
        "cpu_seconds_during_hold": raw["cpu_seconds"],
        "server_metrics": raw["server_metrics"],
    }  # fmt: skip


def pyspy() -> str | None:
    """py-spy (a sampling profiler; not a dependency: BENCH_STREAMING_PYSPY names it, or PATH)."""
    return os.environ.get("BENCH_STREAMING_PYSPY") or shutil.which("py-spy")


def profiled(pid: int, seconds: float, work: Callable[[], object], folder: Path) -> tuple[object, dict | None]:
    """`work()` while py-spy samples process `pid` for `seconds`; its result and a summary of
    where the process spent the samples (share of samples per function, inclusive and own)."""
    spy = pyspy()
    if spy is None:
        return work(), None
    raw = folder / "profile.raw"
    args = [spy, "record", "-p", str(pid), "-d", str(max(1, int(seconds))), "-r", "100", "--nonblocking",
            "--format", "raw", "-o", str(raw)]  # fmt: skip
    sampler = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = work()
    finally:
        sampler.wait(timeout=seconds + 30)
    if not raw.exists():
        return result, None
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        names = [f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")" if " (" in f else f
                 for f in stack.split(";")]  # fmt: skip
        own[names[-1]] = own.get(names[-1], 0) + n
        for name in set(names):
            inclusive[name] = inclusive.get(name, 0) + n

    def top(counts: dict[str, int], k: int) -> dict[str, float]:
        ranked = [kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]) if "runpy" not in kv[0]][:k]
        return {name: round(100 * n / max(1, total), 1) for name, n in ranked}

    return result, {"samples": total, "rate_hz": 100, "inclusive_percent": top(inclusive, 30),
                    "own_percent": top(own, 15)}  # fmt: skip


def drained(timeout: float = 180) -> float | None:
    """Seconds until the running projectors applied the whole log and no fan-out chunk is
    pending (a run's backlog gone before the next run); None if not in time."""
    from devkit.processes import wait_for
    from socialapp.events.status import projector_status
    from socialapp.read.feeds.jobs import fanout_status

    started = time.monotonic()
    try:
        wait_for(lambda: all(r.lag == 0 for r in projector_status(PROJECTORS))
                 and fanout_status()["fanout_jobs_pending"] == 0, timeout=timeout, interval=0.5)  # fmt: skip
    except AssertionError:
        return None
    return round(time.monotonic() - started, 1)


def measure(shape: Shape) -> dict:
    """Seed, start the stack, run the client (at the target rate, then at `low_post_rate`), stop
    the stack; the result (not written). On the databases, vhost and cache prefix this process
    uses now (`main` picks the benchmark's own)."""
    from dataclasses import replace

    from django.conf import settings

    limits = raise_open_files(2 * shape.connections + 1024)
    print(f"seeding {shape} …", flush=True)
    data = seed(shape)
    stack = Stack(shape)
    rates = [shape.post_rate] + ([shape.low_post_rate] if 0 < shape.low_post_rate < shape.post_rate else [])
    runs = []
    posts: list[tuple[int, int]] = []
    synthetic = None
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as name:
        folder = Path(name)
        client = build_client(folder)
        tokens = issue_tokens(shape, folder)
        ids = json.loads(tokens["reader_ids"].read_text())
        try:
            stack.start()
            for rate in rates:
                waited = drained()
                print(f"run at {rate} posts/s (pipeline drained in {waited} s)", flush=True)
                at = replace(shape, post_rate=rate)
                raw = run_client(client, at, tokens, stack, folder)
                created = [(int(p["id"]), shape.author(p["seq"] % shape.authors)) for p in raw["posts"]
                           if p["status"] == 201 and p["id"]]  # fmt: skip
                posts = posts or created
                runs.append({"drained_before_s": waited, **figures(at, raw, ids)})
            if shape.synthetic_rate > 0 and posts:
                waited = drained()
                print(f"the streaming server alone, {shape.synthetic_rate} messages/s", flush=True)
                at = replace(shape, hold_seconds=shape.synthetic_seconds + 5)
                profile: list = []

                def drive() -> list:
                    assert stack.streaming is not None and stack.streaming.pid
                    records, summary = profiled(
                        stack.streaming.pid, at.synthetic_seconds - 2, lambda: publish_synthetic(at, posts), folder
                    )
                    profile.append(summary)
                    return records  # type: ignore[return-value]

                raw = run_client(client, at, tokens, stack, folder, synthetic=drive)
                synthetic = {"drained_before_s": waited, **synthetic_figures(at, raw, ids),
                             "streaming_profile": profile[0] if profile else None}  # fmt: skip
        finally:
            stack.stop()
    out = {"shape": asdict(shape), "data": data, "open_files": limits, "debug": settings.DEBUG,
           "cpu_count": os.cpu_count(), "projectors": PROJECTORS,
           "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    out.update(runs[0])
    if len(runs) > 1:
        out["at_lower_rate"] = runs[1]
    if synthetic is not None:
        out["server_alone"] = synthetic
    return out


def main() -> dict:
    from django.conf import settings
    from django.core.cache import caches

    from bench.common import drop_vhost, use_own_databases, use_own_vhost
    from bench.report import write_json

    use_own_databases("benchstream")
    settings.CACHES["default"]["KEY_PREFIX"] = CACHE_PREFIX  # sessions apart from dev's
    caches["default"].key_prefix = CACHE_PREFIX
    use_own_vhost(VHOST)
    try:
        result = measure(Shape())
    finally:
        drop_vhost(VHOST)
    write_json("streaming", result)
    chart(result)
    print(json.dumps(result, indent=2))
    return result


def chart(result: dict) -> None:
    """Latency quantiles of the push beside the polling baseline; the connections; memory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.report import RESULTS

    fig, axes = plt.subplots(1, 4, figsize=(20, 4.8))
    qs = ["p50_ms", "p90_ms", "p99_ms", "p99.9_ms"]
    series = {
        "commit -> pushed": result["commit_to_pushed"],
        "POST response -> pushed": result["response_to_pushed"],
        f"commit -> seen polling every {result['baseline_polling']['interval_ms']} ms": result["baseline_polling"][
            "commit_to_seen"
        ],
    }
    low = result.get("at_lower_rate")
    if low:
        rate = low["posts"]["achieved_per_s"]
        series[f"commit -> pushed at {rate} posts/s"] = low["commit_to_pushed"]
        series[f"commit -> seen polling at {rate} posts/s"] = low["baseline_polling"]["commit_to_seen"]  # fmt: skip
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        axes[0].bar([x + offset for x in range(len(qs))], [values.get(q, 0) for q in qs], width, label=label)
    axes[0].axhline(TARGETS["p50_ms"], color="green", linestyle=":", label="p50 target")
    axes[0].axhline(TARGETS["p99_ms"], color="red", linestyle=":", label="p99 target")
    axes[0].set_xticks(range(len(qs)), [q.removesuffix("_ms") for q in qs])
    axes[0].set_ylabel("ms (log)")
    axes[0].set_yscale("log")
    rate = result["posts"]["achieved_per_s"]
    axes[0].set_title(f"latency at {rate} posts/s, {result['deliveries']['per_s']:.0f} pushes/s")
    c = result["connections"]
    axes[1].bar(["wanted", "opened", "open at end", "failed", "dropped"],
                [c["wanted"], c["opened"], c["open_at_end"], c["failed"], c["dropped_before_end"]])  # fmt: skip
    axes[1].set_title(f"SSE connections, held {c['held_seconds']} s")
    m = result["memory"]
    axes[2].bar(
        ["0 connections", f"{m['idle_connections']} idle", "after the load"],
        [m["rss_kb_idle_0"] / 1024, m["rss_kb_idle_n"] / 1024, m["rss_kb_after_load"] / 1024],
    )
    axes[2].set_ylabel("MiB")
    axes[2].set_title(f"streaming process RSS ({m['kb_per_idle_connection']} kB per idle connection)")
    # where the time goes: the split at the rate this machine sustains, and the server alone
    run = result.get("at_lower_rate") or result
    parts = {
        "commit -> published\n(pipeline)": run["split"]["commit_to_published"],
        "published -> probe\n(broker)": run["split"]["published_to_broker_consumer"],
        "published -> pushed\n(broker + server)": run["split"]["published_to_pushed"],
    }
    alone = result.get("server_alone")
    if alone:
        parts[f"server alone,\n{alone['deliveries']['per_s']:.0f} pushes/s"] = alone["published_to_pushed"]
    for i, q in enumerate(("p50_ms", "p99_ms")):
        axes[3].bar([x + (i - 0.5) * 0.4 for x in range(len(parts))], [v.get(q, 0) for v in parts.values()], 0.4,
                    label=q.removesuffix("_ms"))  # fmt: skip
    axes[3].set_xticks(range(len(parts)), list(parts), fontsize=7)
    axes[3].set_yscale("log")
    axes[3].set_ylabel("ms (log)")
    axes[3].set_title(f"where the time goes at {run['posts']['achieved_per_s']} posts/s")
    axes[3].legend(fontsize=7)
    axes[0].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "streaming.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
    django.setup()
    main()
