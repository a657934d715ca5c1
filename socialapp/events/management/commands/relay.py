"""`manage.py relay`: the outbox relay process (socialapp.events.relay)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from prometheus_client import start_http_server

from socialapp.events.relay import Relay


class Command(BaseCommand):
    help = "Publish the event log to RabbitMQ: on every commit (LISTEN/NOTIFY) and on a periodic sweep."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="publish what is pending, then exit")
        parser.add_argument("--metrics-port", type=int, default=0, help="serve Prometheus metrics on this port")

    def handle(self, *args: Any, once: bool = False, metrics_port: int = 0, **options: Any) -> None:
        relay = Relay()
        if once:
            count = relay.publish_pending()
            relay.close()
            self.stdout.write(f"published {count} events")
            return
        if metrics_port:
            start_http_server(metrics_port, addr="127.0.0.1")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("relay running", ending="\n")
        self.stdout.flush()
        relay.run(stop)
