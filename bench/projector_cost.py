"""What one event costs each projector under a trickle: CPU per `post.created` applied alone
(one event per batch, as a projector sees it at a few dozen posts a second), split between the
projector's own process and its PostgreSQL backend, with the read side's statements prepared
(READ_DATABASE_PREPARED, the default) and not, rounds interleaved; and the same per event when
the creations come BENCH_PROJECTOR_COST_BATCH at a time (one `apply_batch` of that many), which
shows what a projector's set-based `handle` saves over its handlers run one by one.

    python -m bench.projector_cost        # BENCH_PROJECTOR_COST_EVENTS (300), _ROUNDS (2), _BATCH (8)

In process, on databases of its own (`benchcost_*`, bench/common.py): each projector's
`apply_batch([event])`, after 20 untimed events, then `apply_batch` of BATCH events (as many
events in all); the process's CPU clock and the backend's (/proc/<pid>/stat of
`pg_backend_pid()`) around the timed events. No broker hop, no worker loop:
bench/pipeline.py measures those (its paced run). Each setting runs in a child process of its
own, since the setting is read when the connections are configured. Figures go to
bench/results/projector_cost.json and .png.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
django.setup()

from django.db import connections  # noqa: E402

from bench.common import use_own_databases  # noqa: E402
from bench.report import Bars, bar_charts, print_figures, write_json  # noqa: E402

EVENTS = int(os.environ.get("BENCH_PROJECTOR_COST_EVENTS", "300"))
ROUNDS = int(os.environ.get("BENCH_PROJECTOR_COST_ROUNDS", "2"))
BATCH = int(os.environ.get("BENCH_PROJECTOR_COST_BATCH", "8"))
PROJECTORS = ["posts", "notifications", "profiles", "trends", "home_feed", "activity"]
TICKS = os.sysconf("SC_CLK_TCK")


def _backend_cpu() -> float:
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115 - one read
    return (int(fields[11]) + int(fields[12])) / TICKS


def _event(i: int, author: int) -> object:
    from socialapp.events.projector import EventMessage

    post_id = random.randint(10**15, 10**16)
    now = "2026-12-02T18:00:00.123456+00:00"
    payload = {"post_id": post_id, "author_id": author, "author_username": f"u{author}",
               "author_display_name": "U", "body": "hello #world, a few words here", "hashtags": ["world"],
               "mentions": [], "created_at": now, "visibility": "public", "language": "en",
               "spoiler_text": "", "sensitive": False}  # fmt: skip
    return EventMessage.from_dict({"event_id": str(uuid.uuid4()), "position": 10**12 + i,
                                   "event_type": "post.created", "aggregate_type": "post",
                                   "aggregate_id": str(post_id), "aggregate_version": 1, "occurred_at": now,
                                   "payload": payload})  # fmt: skip


def _timed(projector: object, batches: list[list[object]]) -> tuple[float, float]:
    """Microseconds of CPU per event (this process's, the backend's) applying `batches`."""
    cpu, backend = time.process_time(), _backend_cpu()
    for batch in batches:
        projector.apply_batch(batch)  # type: ignore[attr-defined]
    events = sum(len(b) for b in batches)
    return (time.process_time() - cpu) / events * 1e6, (_backend_cpu() - backend) / events * 1e6


def measure() -> dict[str, dict[str, float]]:
    """This process's setting: microseconds of CPU per event, by projector, one event per batch
    (`python_us`, `postgres_us`) and BATCH per batch (`batched_python_us`, `batched_postgres_us`)."""
    from socialapp.events.projector import REGISTRY

    use_own_databases("benchcost")
    out = {}
    for name in PROJECTORS:
        projector = REGISTRY[name]
        for i in range(20):
            projector.apply_batch([_event(i, 5)])
        alone = [[_event(1000 + i, 5 + i % 50)] for i in range(EVENTS)]
        python_us, postgres_us = _timed(projector, alone)
        events = [_event(10**6 + i, 5 + i % 50) for i in range(max(EVENTS // BATCH, 1) * BATCH)]
        batched = _timed(projector, [events[i : i + BATCH] for i in range(0, len(events), BATCH)])
        out[name] = {"python_us": round(python_us), "postgres_us": round(postgres_us),
                     "batched_python_us": round(batched[0]), "batched_postgres_us": round(batched[1])}  # fmt: skip
    return out


def main() -> None:
    runs: dict[str, list[dict]] = {"prepared": [], "unprepared": []}
    for _ in range(ROUNDS):
        for label, value in (("prepared", "true"), ("unprepared", "false")):
            child = subprocess.run([sys.executable, "-m", "bench.projector_cost", "measure"], check=True,
                                   env={**os.environ, "READ_DATABASE_PREPARED": value},
                                   capture_output=True, text=True)  # fmt: skip
            runs[label].append(json.loads(child.stdout.strip().splitlines()[-1]))

    def means(keys: tuple[str, str]) -> dict[str, dict[str, dict[str, int]]]:
        return {label: {name: {k: round(sum(r[name][b] for r in found) / len(found)) for k, b in
                               zip(("python_us", "postgres_us"), keys, strict=True)}
                        for name in PROJECTORS} for label, found in runs.items()}  # fmt: skip

    mean = means(("python_us", "postgres_us"))
    batched = means(("batched_python_us", "batched_postgres_us"))
    result = {"events_per_projector": EVENTS, "rounds": ROUNDS, "mean_us_per_event": mean, "runs": runs,
              "batch_size": BATCH, "mean_us_per_event_batched": batched,
              "postgres_saved_by_preparing": round(1 - sum(mean["prepared"][p]["postgres_us"] for p in PROJECTORS)
                                                    / sum(mean["unprepared"][p]["postgres_us"] for p in PROJECTORS), 3),
              "cpu_count": os.cpu_count()}  # fmt: skip
    write_json("projector_cost", result)
    bar_charts(
        "projector_cost",
        [
            Bars(
                f"{label}: CPU us per post.created (python + postgres)",
                PROJECTORS,
                [mean[label][p]["python_us"] + mean[label][p]["postgres_us"] for p in PROJECTORS],
            )
            for label in mean
        ]
        + [
            Bars(
                f"{label}: CPU us per post.created, {BATCH} per batch (python + postgres)",
                PROJECTORS,
                [batched[label][p]["python_us"] + batched[label][p]["postgres_us"] for p in PROJECTORS],
            )
            for label in batched
        ],
    )
    print_figures({"mean_us_per_event": mean, "mean_us_per_event_batched": batched, "batch_size": BATCH,
                   "postgres_saved_by_preparing": result["postgres_saved_by_preparing"]})  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        print(json.dumps(measure()), flush=True)
    else:
        main()
