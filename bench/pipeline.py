"""Pipeline throughput and latency: relay -> RabbitMQ -> no-op projector, beside raw kombu
publish-and-consume through the same broker in the same run.

Figures (bench/results/pipeline.json and pipeline.png):
- `pipeline_events_per_s`: a backlog of BENCH_PIPELINE_EVENTS events committed in one
  transaction (one INSERT ... SELECT, so the writer is not what is measured), carried by one relay
  process and one no-op projector worker (`-P solo`, EVENTS_BATCH_SIZE per transaction): from the
  commit to the last tracking row's `applied_at`;
- `raw_events_per_s`: the same number of messages of the same size, published by kombu alone with
  the same guarantees (persistent, mandatory, confirms awaited per batch of EVENTS_RELAY_BATCH as
  the relay does) to a quorum queue with the same arguments, and consumed in another process (as
  the worker is) with manual acks and the worker's prefetch, one `multiple` ack per
  EVENTS_BATCH_SIZE messages as the worker acks a batch; `ratio` = pipeline / raw.
  `raw_per_message_ack_events_per_s` (and `ratio_vs_per_message_ack`): the same with kombu's
  plain one ack per message;
- `latency_ms` p50/p99/max: commit to applied (the tracking row's applied_at), one event per
  transaction through `append_event` (NOTIFY included), paced so that the pipeline is not
  saturated; BENCH_PIPELINE_LATENCY_SAMPLES (1,000) samples;
- `batch_sweep`: the pipeline's rate per EVENTS_BATCH_SIZE (BENCH_PIPELINE_BATCHES, "1,10,100");
- `cpu_us_per_event`: CPU microseconds per event of each process (from /proc) during the
  headline pipeline run (`relay`, `worker`, `broker`: RabbitMQ's beam.smp, `postgres`: the
  backends connected to this benchmark's databases) and the per-batch raw run (`publisher`,
  `consumer`, `broker`; `postgres` includes autovacuum on its databases). Steadier than the rates on a shared machine: the rates measure who got
  the cores, these what each event costs. The broker is shared with anything else using it.

Each measured phase follows a warm-up round. Completion is polled four times a second with one
index-only count (the end time is the database's `applied_at`, not the poll's), so polling does
not compete for the CPU it measures.

`python -m bench.pipeline profile` (or BENCH_PIPELINE_PROFILE=1) instead runs the relay's
publish loop and the worker's consume-apply-ack loop in this process under cProfile and writes
where their CPU goes (bench/results/pipeline_profile.json, and the top lines on stdout).

It runs on databases and a RabbitMQ vhost of its own (benchpipe_*, socialapp_bench_pipeline;
bench/common.py), so development data is untouched.
`python -m bench.pipeline` (BENCH_PIPELINE_EVENTS, default 20000, sets the scale).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import django
import django.apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
os.environ.setdefault("DJANGO_DEBUG", "false")  # no query log: the profile mode runs in this process
os.environ["EVENTS_EXTRA_PROJECTOR_MODULES"] = "bench.pipeline"
if not django.apps.apps.ready and not django.apps.apps.loading:  # also imported *by* setup()
    django.setup()

from django.conf import settings
from django.db import transaction
from kombu import Connection, Consumer, Queue

from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost
from bench.measure import quantiles_ms
from bench.report import Bars, bar_charts, print_figures, write_json
from devkit.processes import start_relay, start_worker
from socialapp.events.log import append_event
from socialapp.events.projector import REGISTRY, EventMessage, Projector, handles, register

EVENTS = int(os.environ.get("BENCH_PIPELINE_EVENTS", "20000"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_PIPELINE_LATENCY_SAMPLES", "1000"))
COLLECT_MS = int(os.environ.get("BENCH_PIPELINE_COLLECT_MS", str(settings.EVENTS_BATCH_COLLECT_MS)))
RELAY_COLLECT_MS = int(os.environ.get("BENCH_PIPELINE_RELAY_COLLECT_MS", str(settings.EVENTS_RELAY_COLLECT_MS)))
BATCHES = [int(b) for b in os.environ.get("BENCH_PIPELINE_BATCHES", "1,10,100").split(",") if b]
VHOST = "socialapp_bench_pipeline"
POLL_SECONDS = 0.25
#: A post-sized payload, so that message sizes are realistic (and equal on both sides).
BODY = "benchmark post body " * 8


class NoopProjector(Projector):
    """Applies nothing but its tracking row: measures the pipeline, not a read model."""

    name = "bench_noop"

    @handles("post.created")
    def on_post_created(self, event: EventMessage) -> None:
        pass


if NoopProjector.name not in REGISTRY:  # `python -m bench.pipeline` imports this module twice
    register(NoopProjector)


def only_noop() -> None:
    """Keep only the no-op projector registered, so that the relay routes one delivery per event
    (the real relay routes to every subscribed queue)."""
    for name in [n for n in REGISTRY if n != NoopProjector.name]:
        REGISTRY.pop(name)


def relay_only_noop() -> None:
    """`python -m bench.pipeline relay`: a relay that knows only the no-op projector."""
    import signal

    from socialapp.events.relay import Relay

    only_noop()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("relay running", flush=True)
    Relay().run(stop)


def worker_prefetch(batch_size: int) -> int:
    """The prefetch a worker uses for a projector with this batch size (socialapp.events.worker)."""
    return settings.EVENTS_PREFETCH if batch_size == 1 else max(settings.EVENTS_PREFETCH, 2 * batch_size)


# ------------------------------------------------------------------------------ CPU per process
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - one read
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def pids_where(match: Callable[[str, str], bool]) -> list[int]:
    """Processes whose (comm, cmdline) match."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                comm = open(f"/proc/{entry}/comm").read().strip()  # noqa: SIM115
                cmdline = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")  # noqa: SIM115
            except OSError:
                continue
            if match(comm, cmdline):
                found.append(int(entry))
    return found


def cpu_snapshot(pids: dict[str, int]) -> dict[str, dict[int, float]]:
    """CPU seconds of the named processes, of the broker and of this benchmark's PostgreSQL
    processes (its backends and any autovacuum worker on its databases), by pid."""
    snap = {name: {pid: cpu_seconds(pid)} for name, pid in pids.items()}
    snap["broker"] = {p: cpu_seconds(p) for p in pids_where(lambda comm, _cmd: comm == "beam.smp")}
    snap["postgres"] = {
        p: cpu_seconds(p) for p in pids_where(lambda comm, cmd: comm == "postgres" and "benchpipe" in cmd)
    }
    return snap


def cpu_per_event(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], n: int) -> dict[str, float]:
    """Microseconds of CPU per event by process group, and their total: per pid, what it used
    between the snapshots (all of it for a process that started in between; a process that ended
    in between is not counted)."""
    out = {}
    for name, pids in after.items():
        used = sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items() if cpu)
        out[name] = round(used / n * 1e6, 1)
    out["total"] = round(sum(out.values()), 1)
    return out


# ------------------------------------------------------------------------------ measurements
def backlog(n: int) -> float:
    """Commit `n` events in one transaction (and wake the relay); returns the commit's wall time."""
    tag = time.time_ns()
    with transaction.atomic():
        sql(
            "default",
            "INSERT INTO event_log (event_id, event_type, aggregate_type, aggregate_id, aggregate_version,"
            " actor_id, occurred_at, schema_version, payload)"
            " SELECT gen_random_uuid(), 'post.created', 'post', %s || '-' || i, 1, 7, now(), 1,"
            "  jsonb_build_object('post_id', i, 'author_id', 7, 'body', %s::text, 'hashtags', '[]'::jsonb)"
            " FROM generate_series(1, %s) AS i",
            [f"bench-{tag}", BODY, n],
        )
        sql("default", "SELECT pg_notify(%s, '')", [settings.EVENTS_NOTIFY_CHANNEL])
    return time.time()


def applied_count() -> int:
    return sql("read", "SELECT count(*) FROM projection_applied_event WHERE projector = %s", [NoopProjector.name])[0][0]


def wait_all_applied(total: int, timeout: float = 600) -> float:
    """Wait until `total` events were applied; returns the newest `applied_at` (epoch seconds)."""
    deadline = time.monotonic() + timeout
    while (done := applied_count()) < total:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done}/{total} applied")
        time.sleep(POLL_SECONDS)
    (last,) = sql(
        "read",
        "SELECT extract(epoch FROM max(applied_at)) FROM projection_applied_event WHERE projector = %s",
        [NoopProjector.name],
    )[0]
    return float(last)


def pipeline_rate(env: dict[str, str], batch_size: int, n: int, relay_pid: int) -> tuple[float, dict[str, float]]:
    """Events/s from the backlog's commit to its last application (after a warm-up round), and
    the CPU microseconds per event of each process meanwhile."""
    worker = start_worker(
        [NoopProjector.name], name=f"bench-{batch_size}", env={**env, "EVENTS_BATCH_SIZE": str(batch_size)}
    )
    try:
        warm = max(200, n // 10)
        before = applied_count() + warm
        backlog(warm)  # warm-up: connections, plans, the broker's queue
        wait_all_applied(before)
        pids = {"relay": relay_pid, "worker": worker.pid}
        cpu_before = cpu_snapshot(pids)
        committed = backlog(n)
        finished = wait_all_applied(before + n)
        cpu = cpu_per_event(cpu_before, cpu_snapshot(pids), n)
    finally:
        worker.stop()
    return n / (finished - committed), cpu


def latency(env: dict[str, str], n: int, relay_pid: int) -> dict[str, Any]:
    """Commit to applied, one event per transaction through append_event, paced; and the CPU
    microseconds per event of each process meanwhile (at this rate batches hold an event or two,
    so this is what an event costs when the pipeline is not saturated)."""
    worker = start_worker([NoopProjector.name], name="bench-latency", env=env)
    try:
        before = applied_count()
        commits: dict[str, float] = {}
        warm = 50
        cpu_before: dict[str, dict[int, float]] = {}
        for i in range(n + warm):
            if i == warm:
                cpu_before = cpu_snapshot({"relay": relay_pid, "worker": worker.pid})
            with transaction.atomic():
                event = append_event(event_type="post.created", aggregate_type="post",
                                     aggregate_id=f"lat-{time.time_ns()}", aggregate_version=1,
                                     payload={"post_id": i, "author_id": 7, "body": BODY, "hashtags": []})  # fmt: skip
            if i >= warm:
                commits[str(event.event_id)] = time.time()
            time.sleep(0.005)  # paced: ~150 events/s, far below saturation
        wait_all_applied(before + n + warm)
        cpu = cpu_per_event(cpu_before, cpu_snapshot({"relay": relay_pid, "worker": worker.pid}), n)
    finally:
        worker.stop()
    rows = sql(
        "read",
        "SELECT event_id::text, extract(epoch FROM applied_at) FROM projection_applied_event"
        " WHERE projector = %s AND event_id = ANY(%s::uuid[])",
        [NoopProjector.name, list(commits)],
    )
    ms = [(float(applied) - commits[eid]) * 1000 for eid, applied in rows]
    return {**quantiles_ms(ms, 0.5, 0.99, 1, suffix=""), "events": len(ms), "cpu_us_per_event": cpu}


def paced(env: dict[str, str], collect_ms: int, relay_collect_ms: int) -> dict[str, Any]:
    """`latency` with a relay and a worker of their own, started with these collecting waits."""
    env = {**env, "EVENTS_BATCH_COLLECT_MS": str(collect_ms), "EVENTS_RELAY_COLLECT_MS": str(relay_collect_ms)}
    relay = start_relay(name=f"bench-relay-{collect_ms}", env=env,
                        command=[sys.executable, "-m", "bench.pipeline", "relay"])  # fmt: skip
    try:
        return latency(env, LATENCY_SAMPLES, relay.pid)
    finally:
        relay.stop()


def sample_body() -> bytes:
    """A message body as the relay sends it (same size and shape on the raw side)."""
    import json

    return json.dumps(
        {
            "event_id": "00000000-0000-0000-0000-000000000000",
            "position": 1,
            "event_type": "post.created",
            "aggregate_type": "post",
            "aggregate_id": "bench-1-1",
            "aggregate_version": 1,
            "actor_id": 7,
            "occurred_at": "2026-01-01T00:00:00.123456+00:00",
            "schema_version": 1,
            "payload": {"post_id": 1, "author_id": 7, "body": BODY, "hashtags": []},
        }
    ).encode()


def raw_queue() -> Queue:
    from socialapp.events.topology import projector_queue

    return Queue("bench.raw", durable=True, queue_arguments=projector_queue(NoopProjector()).queue_arguments)


def raw_consume(url: str, n: int, prefetch: int, ack_every: int) -> None:
    """`python -m bench.pipeline raw-consume URL N PREFETCH ACK_EVERY`: kombu alone, another
    process (as the worker is), manual acks: one per message (ACK_EVERY 1) or one `multiple` ack
    per ACK_EVERY messages, as the worker acks a batch; prints the time of the last ack."""
    count = 0
    last = 0.0
    with Connection(url) as conn:

        def on_message(message: object) -> None:
            nonlocal count, last
            count += 1
            if count % ack_every == 0 or count >= n:
                message.ack(multiple=ack_every > 1)  # type: ignore[attr-defined]
                last = time.time()

        with Consumer(conn, queues=[raw_queue()], on_message=on_message, prefetch_count=prefetch, auto_declare=False):
            print("ready", flush=True)
            while count < n:
                with contextlib.suppress(TimeoutError):
                    conn.drain_events(timeout=1)
    print(f"cpu {time.process_time()}", flush=True)
    print(f"done {last}", flush=True)


def raw_rate(n: int, prefetch: int, ack_every: int) -> tuple[float, dict[str, float]]:
    """kombu alone: confirmed persistent publishes (batches of EVENTS_RELAY_BATCH, confirms awaited
    per batch) to a quorum queue, consumed in another process with manual acks (one per message,
    or one `multiple` ack per `ack_every`); and the CPU microseconds per event of each process."""
    from amqp import Message

    url = settings.CELERY_BROKER_URL
    with Connection(url) as conn:
        queue = raw_queue()(conn.default_channel)
        queue.declare()
        queue.purge()
    body = sample_body()

    def publish(count: int) -> tuple[float, dict[str, float]]:
        consumer = subprocess.Popen(
            [sys.executable, "-m", "bench.pipeline", "raw-consume", url, str(count), str(prefetch), str(ack_every)],
            stdout=subprocess.PIPE,
            text=True,
            env=bench_env(),
        )
        assert consumer.stdout is not None
        while consumer.stdout.readline().strip() != "ready":
            if consumer.poll() is not None:
                raise RuntimeError("the raw consumer exited")
        cpu_before = {"publisher": {0: time.process_time()}, **cpu_snapshot({})}
        consumer_cpu_before = cpu_seconds(consumer.pid)
        publisher = Connection(url)
        channel = publisher.channel()
        channel.confirm_select()
        outstanding: set[int] = set()

        def on_ack(tag: int, multiple: bool) -> None:
            outstanding.difference_update([t for t in outstanding if t <= tag] if multiple else [tag])

        channel.events["basic_ack"].add(on_ack)
        sent = 0
        started = time.time()
        for start in range(0, count, settings.EVENTS_RELAY_BATCH):
            for i in range(start, min(count, start + settings.EVENTS_RELAY_BATCH)):
                message = Message(body, content_type="application/json", content_encoding="utf-8",
                                  application_headers={}, delivery_mode=2, message_id=str(i), type="post.created")  # fmt: skip
                channel.basic_publish(message, exchange="", routing_key="bench.raw", mandatory=True)
                sent += 1
                outstanding.add(sent)
            while outstanding:
                publisher.drain_events(timeout=10)
        publisher.release()
        cpu_after = {"publisher": {0: time.process_time()}, **cpu_snapshot({})}
        out, _ = consumer.communicate(timeout=600)
        finished = float(out.split("done ")[-1])
        consumer_cpu = float(out.split("cpu ")[-1].split()[0]) - consumer_cpu_before
        cpu = {k: v for k, v in cpu_per_event(cpu_before, cpu_after, count).items() if k not in ("postgres", "total")}
        cpu["consumer"] = round(consumer_cpu / count * 1e6, 1)
        cpu["total"] = round(sum(cpu.values()), 1)
        return count / (finished - started), cpu

    publish(max(200, n // 10))  # warm-up
    return publish(n)


# ------------------------------------------------------------------------------ profile
def profile(n: int) -> dict:
    """The relay's publish loop, then the worker's consume/apply/ack loop, in this process under
    cProfile: where each spends its CPU per event."""
    import cProfile
    import io
    import pstats

    from socialapp.events.relay import Relay
    from socialapp.events.topology import declare, projector_queue
    from socialapp.events.wire import BulkFrameReader
    from socialapp.events.worker import DeliveryConsumer, MessageHandler

    only_noop()
    projector = REGISTRY[NoopProjector.name]
    with Connection(settings.CELERY_BROKER_URL) as conn:
        declare(conn)
        conn.default_channel.queue_purge(projector_queue(projector).name)
    backlog(n)
    out: dict = {"events": n}

    def top(prof: cProfile.Profile, seconds: float) -> list[str]:
        stream = io.StringIO()
        pstats.Stats(prof, stream=stream).sort_stats("tottime").print_stats(15)
        print(stream.getvalue(), flush=True)
        return [line for line in stream.getvalue().splitlines() if line.strip()][-16:]

    relay = Relay()
    relay._ensure_channel()
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    published = relay.publish_pending()
    prof.disable()
    seconds = time.perf_counter() - started
    relay.close()
    out["relay"] = {"events_per_s": round(published / seconds, 1), "us_per_event": round(seconds / n * 1e6, 1),
                    "top_tottime": top(prof, seconds)}  # fmt: skip

    batch = settings.EVENTS_BATCH_SIZE
    with Connection(settings.CELERY_BROKER_URL) as conn:
        channel = conn.channel()
        BulkFrameReader.install(conn.connection)  # as the worker does
        handler = MessageHandler(projector, channel, batch_size=batch, multiple_acks=True)
        delivered = 0

        def on_message(message: object) -> None:
            nonlocal delivered
            delivered += 1
            handler(message)

        prof = cProfile.Profile()
        with DeliveryConsumer(channel, queues=[projector_queue(projector)], on_message=on_message,
                              prefetch_count=worker_prefetch(batch), auto_declare=False):  # fmt: skip
            started = time.perf_counter()
            prof.enable()
            while delivered < n:
                try:
                    conn.drain_events(timeout=settings.EVENTS_BATCH_WAIT_MS / 1000)
                except TimeoutError:
                    handler.drain()  # the worker's timer does this
            handler.drain()
            prof.disable()
            seconds = time.perf_counter() - started
    out["worker"] = {"events_per_s": round(n / seconds, 1), "us_per_event": round(seconds / n * 1e6, 1),
                     "top_tottime": top(prof, seconds)}  # fmt: skip
    return out


def main() -> None:
    use_own_databases("benchpipe")
    use_own_vhost(VHOST)
    env = bench_env(EVENTS_EXTRA_PROJECTOR_MODULES="bench.pipeline")
    sql("default", "TRUNCATE event_log, event_outbox, event_publish_failure")
    sql("read", "TRUNCATE projection_applied_event")
    if sys.argv[1:] == ["profile"] or os.environ.get("BENCH_PIPELINE_PROFILE") == "1":
        try:
            result = profile(EVENTS)
        finally:
            drop_vhost(VHOST)
        write_json("pipeline_profile", result)
        return
    relay = start_relay(name="bench-relay", env=env, command=[sys.executable, "-m", "bench.pipeline", "relay"])
    try:
        sweep = {b: round(pipeline_rate(env, b, max(500, EVENTS // 4), relay.pid)[0], 1) for b in BATCHES}
        print(f"batch size -> events/s: {sweep}", flush=True)
        pipeline, pipeline_cpu = pipeline_rate(env, settings.EVENTS_BATCH_SIZE, EVENTS, relay.pid)
        prefetch = worker_prefetch(settings.EVENTS_BATCH_SIZE)
        # The headline baseline acks like the worker (one `multiple` ack per batch); the other
        # is kombu's plain one ack per message.
        raw, raw_cpu = raw_rate(EVENTS, prefetch, settings.EVENTS_BATCH_SIZE)
        raw_per_message, _ = raw_rate(EVENTS, prefetch, 1)
    finally:
        relay.stop()
    # A paced stream applied at once (no collecting wait in the worker or the relay), then the
    # same with partial batches left to collect (EVENTS_BATCH_COLLECT_MS, EVENTS_RELAY_COLLECT_MS;
    # the settings' defaults unless BENCH_PIPELINE_*COLLECT_MS say otherwise): what the waits save
    # per event, and what they add to commit -> applied.
    try:
        lat = paced(env, 0, 0)
        lat_collect = paced(env, COLLECT_MS, RELAY_COLLECT_MS)
    finally:
        drop_vhost(VHOST)
    result = {
        "events": EVENTS,
        "pipeline_events_per_s": round(pipeline, 1),
        "raw_events_per_s": round(raw, 1),
        "ratio": round(pipeline / raw, 3),
        "raw_per_message_ack_events_per_s": round(raw_per_message, 1),
        "ratio_vs_per_message_ack": round(pipeline / raw_per_message, 3),
        "latency_ms": lat,
        "latency_collecting_ms": {
            "EVENTS_BATCH_COLLECT_MS": COLLECT_MS,
            "EVENTS_RELAY_COLLECT_MS": RELAY_COLLECT_MS,
            **lat_collect,
        },
        "cpu_us_per_event": {"pipeline": pipeline_cpu, "raw": raw_cpu},
        "batch_sweep": sweep,
        "batch_size": settings.EVENTS_BATCH_SIZE,
        "prefetch": prefetch,
        "cpu_count": os.cpu_count(),
    }
    write_json("pipeline", result)
    bar_charts(
        "pipeline",
        [
            Bars("events/s", ["pipeline", "raw kombu", "raw, ack each"], [pipeline, raw, raw_per_message]),
            Bars("events/s by batch size", [str(b) for b in sweep], list(sweep.values())),
            Bars(
                "commit -> applied, ms (paced)",
                ["p50", "p99", "p50 collecting", "p99 collecting"],
                [lat["p50"], lat["p99"], lat_collect["p50"], lat_collect["p99"]],
            ),
            Bars(
                "CPU us per event (paced)",
                ["immediate", "collecting"],
                [lat["cpu_us_per_event"]["total"], lat_collect["cpu_us_per_event"]["total"]],
            ),
        ],
    )
    print_figures({k: v for k, v in result.items() if k != "batch_sweep"})


if __name__ == "__main__":
    if sys.argv[1:] == ["relay"]:
        relay_only_noop()
    elif sys.argv[1:2] == ["raw-consume"]:
        raw_consume(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
