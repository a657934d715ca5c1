"""Pipeline throughput and latency: append -> relay -> RabbitMQ -> no-op projector, beside raw
kombu publish-and-consume through the same broker in the same run.

Figures (bench/results/pipeline.json):
- `pipeline_events_per_s`: sustained rate from the first commit to the last application, with
  one relay process and one projector worker (`-P solo`), events committed 20 per transaction;
- `raw_events_per_s`: the same number of messages published with the same guarantees (persistent,
  mandatory, every message confirmed; confirms awaited per batch as the relay does) to a quorum queue with the same arguments and consumed with
  manual acks and the same prefetch, by kombu alone; `ratio` = pipeline / raw;
- `latency_ms` p50/p99: commit to applied (the tracking row's applied_at), one event per
  transaction, paced so that the pipeline is not saturated;
- `prefetch`: the pipeline's rate with each candidate prefetch (how EVENTS_PREFETCH was chosen).

It runs on databases and a RabbitMQ vhost of its own (benchpipe_*, socialapp_bench_pipeline; bench/common.py),
so development data is untouched.
`python -m bench.pipeline` (BENCH_PIPELINE_EVENTS, default 3000, sets the scale).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

import django
import django.apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
os.environ["EVENTS_EXTRA_PROJECTOR_MODULES"] = "bench.pipeline"
if not django.apps.apps.ready and not django.apps.apps.loading:  # also imported *by* setup()
    django.setup()

from django.conf import settings
from django.db import transaction
from kombu import Connection, Consumer, Queue
from kombu.serialization import dumps

from bench.common import bench_env, drop_vhost, sql, use_own_databases, use_own_vhost
from bench.measure import quantiles_ms
from bench.report import write_json
from devkit.processes import start_relay, start_worker
from socialapp.events.log import append_event
from socialapp.events.projector import REGISTRY, EventMessage, Projector, handles, register

EVENTS = int(os.environ.get("BENCH_PIPELINE_EVENTS", "3000"))
PREFETCHES = [1, 16, 64, 256]
VHOST = "socialapp_bench_pipeline"


class NoopProjector(Projector):
    """Applies nothing but its tracking row: measures the pipeline, not a read model."""

    name = "bench_noop"

    @handles("post.created")
    def on_post_created(self, event: EventMessage) -> None:
        pass


if NoopProjector.name not in REGISTRY:  # `python -m bench.pipeline` imports this module twice
    register(NoopProjector)


def relay_only_noop() -> None:
    """`python -m bench.pipeline relay`: a relay that knows only the no-op projector, so that the
    bench measures one delivery per event (the real relay routes to every subscribed queue)."""
    import signal

    from socialapp.events.relay import Relay

    for name in [n for n in REGISTRY if n != NoopProjector.name]:
        REGISTRY.pop(name)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("relay running", flush=True)
    Relay().run(stop)


# ------------------------------------------------------------------------------ measurements
def append(n: int, per_transaction: int, commit_times: dict[str, float] | None = None, pace: float = 0) -> list[str]:
    ids: list[str] = []
    while len(ids) < n:
        with transaction.atomic():
            batch = [
                append_event(
                    event_type="post.created", aggregate_type="post", aggregate_id=f"bench-{time.time_ns()}-{i}",
                    aggregate_version=1, payload={"post_id": i},
                )
                for i in range(min(per_transaction, n - len(ids)))
            ]  # fmt: skip
        now = time.time()
        for event in batch:
            ids.append(str(event.event_id))
            if commit_times is not None:
                commit_times[str(event.event_id)] = now
        if pace:
            time.sleep(pace)
    return ids


def wait_applied(ids: list[str], timeout: float = 180) -> float:
    deadline = time.monotonic() + timeout
    while True:
        (done,) = sql(
            "read",
            "SELECT count(*) FROM projection_applied_event WHERE projector = %s AND event_id = ANY(%s::uuid[])",
            [NoopProjector.name, ids],
        )[0]
        if done >= len(ids):
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done}/{len(ids)} applied")
        time.sleep(0.02)


def pipeline_rate(env: dict[str, str], prefetch: int, n: int) -> float:
    worker = start_worker([NoopProjector.name], name=f"bench-{prefetch}", env={**env, "EVENTS_PREFETCH": str(prefetch)})
    try:
        started = time.monotonic()
        ids = append(n, per_transaction=20)
        finished = wait_applied(ids)
    finally:
        worker.stop()
    return n / (finished - started)


def latency(env: dict[str, str], n: int = 300) -> dict[str, float]:
    worker = start_worker([NoopProjector.name], name="bench-latency", env=env)
    try:
        commits: dict[str, float] = {}
        ids = append(n, per_transaction=1, commit_times=commits, pace=0.01)
        wait_applied(ids)
    finally:
        worker.stop()
    rows = sql(
        "read",
        "SELECT event_id::text, extract(epoch FROM applied_at) FROM projection_applied_event"
        " WHERE projector = %s AND event_id = ANY(%s::uuid[])",
        [NoopProjector.name, ids],
    )
    ms = [(float(applied) - commits[eid]) * 1000 for eid, applied in rows]
    return {**quantiles_ms(ms, 0.5, 0.99, 1, suffix=""), "events": len(ms)}


def raw_rate(n: int, prefetch: int) -> float:
    """kombu alone: confirmed persistent publishes to a quorum queue, consumed with manual acks."""
    from socialapp.events.topology import broker_connection, projector_queue

    queue = Queue("bench.raw", durable=True, queue_arguments=projector_queue(NoopProjector()).queue_arguments)
    message = {"event_id": "0", "position": 1, "event_type": "post.created", "aggregate_type": "post",
               "aggregate_id": "x", "aggregate_version": 1, "actor_id": None,
               "occurred_at": "2026-01-01T00:00:00+00:00", "schema_version": 1, "payload": {"post_id": 1}}  # fmt: skip
    received = 0
    done = threading.Event()

    def consume() -> None:
        nonlocal received
        with broker_connection() as conn:

            def on_message(body: dict, msg: object) -> None:
                nonlocal received
                msg.ack()  # type: ignore[attr-defined]
                received += 1
                if received >= n:
                    done.set()

            with Consumer(conn, queues=[queue], callbacks=[on_message], accept=["json"], prefetch_count=prefetch):
                while not done.is_set():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=1)

    with broker_connection() as conn:
        queue(conn.default_channel).declare()
        queue(conn.default_channel).purge()
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        time.sleep(1)
        # The relay's way: a batch published, then its confirms awaited together (by tag).
        publisher = Connection(settings.CELERY_BROKER_URL)
        channel = publisher.channel()
        channel.confirm_select()
        outstanding: set[int] = set()

        def on_ack(tag: int, multiple: bool) -> None:
            outstanding.difference_update([t for t in outstanding if t <= tag] if multiple else [tag])

        channel.events["basic_ack"].add(on_ack)
        sent = 0
        started = time.monotonic()
        for start in range(0, n, settings.EVENTS_RELAY_BATCH):
            for i in range(start, min(n, start + settings.EVENTS_RELAY_BATCH)):
                content_type, encoding, body = dumps({**message, "position": i}, serializer="json")
                prepared = channel.prepare_message(
                    body, content_type=content_type, content_encoding=encoding, headers={},
                    properties={"delivery_mode": 2, "message_id": str(i)},
                )  # fmt: skip
                channel.basic_publish(prepared, exchange="", routing_key="bench.raw", mandatory=True)
                sent += 1
                outstanding.add(sent)
            while outstanding:
                publisher.drain_events(timeout=10)
        publisher.release()
        done.wait(600)
        finished = time.monotonic()
    return n / (finished - started)


def main() -> None:
    use_own_databases("benchpipe")
    use_own_vhost(VHOST)
    env = bench_env(EVENTS_EXTRA_PROJECTOR_MODULES="bench.pipeline")
    sql("default", "TRUNCATE event_log")
    sql("read", "TRUNCATE projection_applied_event")
    relay = start_relay(name="bench-relay", env=env, command=[sys.executable, "-m", "bench.pipeline", "relay"])
    try:
        prefetch = {p: round(pipeline_rate(env, p, max(500, EVENTS // 3)), 1) for p in PREFETCHES}
        print(f"prefetch -> events/s: {prefetch}", flush=True)
        pipeline = pipeline_rate(env, settings.EVENTS_PREFETCH, EVENTS)
        raw = raw_rate(EVENTS, settings.EVENTS_PREFETCH)
        lat = latency(env)
    finally:
        relay.stop()
        drop_vhost(VHOST)
    result = {
        "events": EVENTS,
        "pipeline_events_per_s": round(pipeline, 1),
        "raw_events_per_s": round(raw, 1),
        "ratio": round(pipeline / raw, 3),
        "latency_ms": lat,
        "prefetch": prefetch,
        "prefetch_used": settings.EVENTS_PREFETCH,
        "cpu_count": os.cpu_count(),
    }
    write_json("pipeline", result)
    print(
        f"pipeline {pipeline:.0f} events/s, raw kombu {raw:.0f} msg/s, ratio {pipeline / raw:.2f}; "
        f"commit->applied p50 {lat['p50']} ms, p99 {lat['p99']} ms",
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["relay"]:
        relay_only_noop()
    else:
        main()
