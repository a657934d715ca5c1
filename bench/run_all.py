"""`make bench`: every benchmark in one go, each writing its figures to bench/results/.

Each benchmark module under bench/ exposes `main()` and is a short script over the shared
pieces: bench/common.py (own databases and vhost), bench/seed.py (data generation by COPY),
bench/load.py (client threads, paced writers), bench/measure.py (the one percentile, timers,
warm-up) and bench/report.py (JSON and PNG in bench/results/). They run one after another
(never in parallel: these are 2-core machines) against the development services, and every
figure that matters is a ratio measured within one run, because absolute numbers on shared
machines are noisy. Each runs in a process of its own: a benchmark registers projectors of its
own (bench.pipeline's no-op one) and points the connections at its own databases, and the next
one must not inherit either (bench.system would start a worker for every registered projector).
"""

import os
import subprocess
import sys

from bench.measure import stopwatch
from bench.report import print_figures

BENCHMARKS = [
    "bench.commands",
    "bench.command_cost",
    "bench.pipeline",
    "bench.projector_cost",
    "bench.feeds",
    "bench.search",
    "bench.search_relevance",
    "bench.reads",
    "bench.blocks_mutes",
    "bench.streaming",
    "bench.trends",
    "bench.audit",
    "bench.system",
]


def run(name: str) -> bool:
    """`name`'s main() in a fresh interpreter; True when it finished without an exception."""
    code = f"import django; django.setup(); import importlib; importlib.import_module({name!r}).main()"
    return subprocess.run([sys.executable, "-c", code], env=os.environ.copy(), check=False).returncode == 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
    selected = sys.argv[1:] or BENCHMARKS
    failed = []
    summary = {}
    for name in selected:
        print(f"== {name}", flush=True)
        with stopwatch() as timer:
            if not run(name):  # report and go on: one broken benchmark should not hide the others
                failed.append(name)
                print(f"!! {name} failed (its traceback is above)", flush=True)
        print(f"== {name} took {timer.seconds:.0f}s", flush=True)
        summary[name] = f"{'FAILED' if name in failed else 'ok'} in {timer.seconds:.0f}s"
    print_figures(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
