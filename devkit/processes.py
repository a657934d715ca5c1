"""Real child processes on the caller's databases, vhost and indexes: the relay, projector
workers and Celery workers, as the tests and the benchmarks start them.

    relay = start_relay(env=child_env())
    worker = start_worker(["feeds"])          # waits until it consumes
    ...
    worker.stop(); relay.stop()

Their logs are in .services/logs/tests/.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import connections

from socialapp.events.topology import queue_name

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # the condition may fail while a service comes up
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition!r}; last error: {last_error!r}")


def _db_url(alias: str) -> str:
    s = connections[alias].settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process (worker, relay) that must use this process's databases
    (a test run's, a benchmark's), vhost and indexes."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="socialapp.settings.dev",
        DJANGO_DEBUG="false",
        DATABASE_URL=_db_url("default"),
        READ_DATABASE_URL=_db_url("read"),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        ELASTICSEARCH_INDEX_PREFIX=settings.ELASTICSEARCH_INDEX_PREFIX,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class ChildProcess:
    """A real child process (its own process group), stopped and reaped on exit."""

    def __init__(self, args: list[str], env: dict[str, str], log_name: str) -> None:
        log_dir = REPO / ".services" / "logs" / "tests"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{log_name}-{os.getpid()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        self._log.close()


def stop_all(processes: list[ChildProcess]) -> None:
    """Stop these processes at once (a thread each): every one's shutdown (a Celery warm
    shutdown, the relay's pass) takes a second or more, and they are independent (a process
    group each), so one after the other only adds those seconds up."""
    from concurrent.futures import ThreadPoolExecutor

    if processes:
        with ThreadPoolExecutor(max_workers=len(processes)) as pool:
            for future in [pool.submit(process.stop) for process in processes]:
                future.result()


def celery_worker(
    queues: list[str],
    *,
    name: str,
    concurrency: int = 1,
    extra: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> ChildProcess:
    args = [
        sys.executable, "-m", "celery", "-A", "socialapp", "worker",
        "-Q", ",".join(queues), "--concurrency", str(concurrency), "--loglevel", "INFO",
        "-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        *(extra or []),
    ]  # fmt: skip
    return ChildProcess(args, env or child_env(), name)


def start_relay(
    *, name: str = "relay", env: dict[str, str] | None = None, command: list[str] | None = None
) -> ChildProcess:
    """`manage.py relay` (or `command`, a relay of its own that also says "relay running")."""
    relay = ChildProcess(command or [sys.executable, "manage.py", "relay"], env or child_env(), name)
    wait_for(lambda: "relay running" in relay.log() or relay.proc.poll() is not None, timeout=60, what="relay start")
    assert relay.proc.poll() is None, relay.log()
    return relay


def start_worker(projectors: list[str], *, name: str | None = None, env: dict[str, str] | None = None) -> ChildProcess:
    worker = celery_worker(
        [queue_name(p) for p in projectors],
        name=name or "worker-" + "-".join(projectors),
        extra=["-P", "solo"],
        env=env or child_env(),
    )
    wait_for(
        lambda: all(f"projector {p} consuming" in worker.log() for p in projectors) or worker.proc.poll() is not None,
        timeout=90,
        what=f"worker for {projectors}",
    )
    assert worker.proc.poll() is None, worker.log()
    return worker
