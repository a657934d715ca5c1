"""`manage.py projections status|check|rebuild [NAME]` (docs/ops.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from socialapp.events.log import handled_count
from socialapp.events.projector import REGISTRY
from socialapp.events.status import (
    backing_off,
    extra_status,
    log_counts,
    projector_names,
    projector_status,
    queue_infos,
    unrouted_depth,
)


class Command(BaseCommand):
    help = "Projector status, convergence check and rebuild from the event log."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["status", "check", "rebuild", "procfile"])
        parser.add_argument("name", nargs="?", help="projector name (rebuild: required)")
        parser.add_argument("--limit", type=int, default=20, help="check: entries listed per category")
        parser.add_argument(
            "--single-web",
            action="store_true",
            help="procfile: one `web` process serving both sides (make run) instead of web-commands + web-queries",
        )

    def handle(self, *args: Any, action: str, name: str | None = None, limit: int = 20, **options: Any) -> None:
        try:
            names = projector_names(name)
        except KeyError as exc:
            raise CommandError(str(exc.args[0])) from exc
        getattr(self, f"do_{action}")(names, limit=limit, name=name, single_web=options.get("single_web", False))

    def do_status(self, names: list[str], **_: Any) -> None:
        counts = log_counts()
        self.stdout.write(
            f"log: {counts.appended} events, {counts.unpublished} unpublished"
            f" (oldest {counts.oldest_unpublished_age:.1f}s), {backing_off()} backing off after a broker refusal"
        )
        queues = queue_infos()  # one management API request for the whole report
        unrouted = unrouted_depth(queues)
        self.stdout.write(f"unrouted: {'?' if unrouted is None else unrouted} messages in events.unrouted")
        self.stdout.write(
            f"{'projector':<20} {'applied':>9} {'lag':>7} {'queued':>7} {'unacked':>7} {'workers':>7} {'dead':>6}"
        )

        def show(v: int | None) -> str:
            return "?" if v is None else str(v)

        for row in projector_status(names, queues=queues):
            self.stdout.write(
                f"{row.name:<20} {row.applied:>9} {show(row.lag):>7} {show(row.ready):>7} {show(row.unacked):>7}"
                f" {show(row.consumers):>7} {show(row.dead):>6}"
            )
        for name, figures in extra_status(names).items():
            self.stdout.write(f"{name}: " + ", ".join(f"{key} {value}" for key, value in figures.items()))

    def do_check(self, names: list[str], limit: int, **_: Any) -> None:
        failed = []
        for name in tqdm(names, desc="checking", unit="projector", disable=None):
            report = REGISTRY[name].check()
            if report is None:
                self.stdout.write(f"{name}: no check provided")
                continue
            verdict = "OK" if report.ok else "DIVERGED"
            self.stdout.write(
                f"{name}: {verdict} ({report.checked} checked; lost {len(report.lost)},"
                f" duplicated {len(report.duplicated)}, unexpected {len(report.unexpected)})"
            )
            for label, items in (
                ("lost", report.lost),
                ("duplicated", report.duplicated),
                ("unexpected", report.unexpected),
            ):
                for item in items[:limit]:
                    self.stdout.write(f"  {label}: {item}")
            if not report.ok:
                failed.append(name)
        if failed:
            raise CommandError(f"diverged: {', '.join(failed)}")

    def do_procfile(self, names: list[str], single_web: bool = False, **_: Any) -> None:
        """The Procfile: the web process types, relay, Celery tasks and beat, one worker per projector.

        By default commands and queries get a process type each (`web-commands`, `web-queries`),
        sized on their own through WEB_COMMANDS_* / WEB_QUERIES_* and each ready when its own
        dependencies are (READINESS_CHECKS): a router sends each method to its side
        (docker/nginx.conf, docs/ops.md). `--single-web` gives one `web` serving both, which is
        what `make run` uses so that the API stays on one port without a proxy. Either way
        `web-streaming` (uvicorn, the ASGI streaming server, docs/streaming.md) follows the web
        types, sized by WEB_STREAMING_WORKERS (each worker holds its own broker connection and
        its own connections' queue)."""
        from socialapp.events.topology import queue_name

        bin_ = ".venv/bin"
        gunicorn = f"{bin_}/gunicorn socialapp.wsgi -c python:socialapp.gunicorn_conf --bind 127.0.0.1:$PORT"
        if single_web:
            self.stdout.write(f"web: {gunicorn} --workers 2 --threads 4 --access-logfile -")
        else:
            for role, checks, workers in (
                ("commands", "postgres_write,cache", 1),
                ("queries", "postgres_read,elasticsearch,cache", 2),
            ):
                sizing = (
                    f"--workers ${{WEB_{role.upper()}_WORKERS:-{workers}}} --threads ${{WEB_{role.upper()}_THREADS:-4}}"
                )
                self.stdout.write(f"web-{role}: env READINESS_CHECKS={checks} {gunicorn} {sizing} --access-logfile -")
        # Right after the web types: honcho gives the n-th process type base port + 100 n, so under
        # `make run` (web on 8000) the streams are on 8100, the address its STREAMING_API_URL names.
        streaming_workers = "1" if single_web else "${WEB_STREAMING_WORKERS:-1}"
        self.stdout.write(
            f"web-streaming: {bin_}/uvicorn socialapp.streaming.asgi:application --host 127.0.0.1 --port $PORT"
            f" --workers {streaming_workers} --lifespan on --timeout-graceful-shutdown 5 --no-access-log"
        )
        self.stdout.write(f"relay: {bin_}/python manage.py relay --metrics-port $PORT")
        self.stdout.write(
            f"tasks: {bin_}/celery -A socialapp worker -Q celery --concurrency 1 -n tasks@%h --loglevel INFO"
        )
        # Exactly one beat: it sends the periodic tasks of CELERY_BEAT_SCHEDULE (fan-out sweep).
        self.stdout.write(
            f"beat: {bin_}/celery -A socialapp beat --schedule .services/celerybeat-schedule --loglevel INFO"
        )
        for name in names:
            self.stdout.write(
                f"{name.replace('_', '-')}: env PROJECTOR_METRICS_PORT=$PORT {bin_}/celery -A socialapp worker -P solo"
                f" -Q {queue_name(name)} -n {name}@%h --without-gossip --without-mingle --loglevel INFO"
            )

    def do_rebuild(self, names: list[str], name: str | None, **_: Any) -> None:
        if name is None:
            raise CommandError("rebuild needs a projector name")
        projector = REGISTRY[name]
        try:
            strategy = projector.rebuild_strategy()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = handled_count(projector.event_types())
        with tqdm(total=total, desc=f"replaying into {name}", unit="event", disable=None) as bar:
            result = strategy.run(progress=bar.update)
        self.stdout.write(f"rebuilt {name}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
