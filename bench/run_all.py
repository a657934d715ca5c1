"""`make bench`: every benchmark in one go, each writing its figures to bench/results/.

Each module under bench/ exposes `main()`. They run one after another (never in parallel:
these are 2-core machines) against the development services, and every figure that matters is
a ratio measured within one run, because absolute numbers on shared machines are noisy.
"""

import importlib
import os
import sys
import time

import django

BENCHMARKS = ["bench.commands", "bench.pipeline", "bench.feeds", "bench.search"]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
    django.setup()
    selected = sys.argv[1:] or BENCHMARKS
    failed = []
    for name in selected:
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # report and go on: one broken benchmark should not hide the others
            failed.append(name)
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"== {name} took {time.monotonic() - started:.0f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
