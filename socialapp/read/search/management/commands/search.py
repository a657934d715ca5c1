"""`manage.py search init|rebuild|flush|status`: the search indexes' life cycle."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from elastic_transport import TransportError
from elasticsearch import NotFoundError

from socialapp.read.search import indexes, rebuild, sync


class Command(BaseCommand):
    help = "Manage the Elasticsearch search indexes (posts, users, hashtags)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="create missing indexes and aliases (idempotent)")
        rb = sub.add_parser("rebuild", help="build fresh indexes and swap the aliases atomically")
        rb.add_argument("kinds", nargs="*", metavar="posts|users|hashtags", help="default: all three")
        rb.add_argument(
            "--from-log",
            action="store_true",
            help="first rebuild the search state from the event log (live), then every index",
        )
        sub.add_parser("flush", help="push every change Elasticsearch has not acknowledged yet")
        sub.add_parser("status", help="show indexes behind each alias")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "init":
                for kind, name in indexes.ensure_indexes().items():
                    note = " (mapping outdated: run `search rebuild`)" if indexes.outdated(kind) else ""
                    self.stdout.write(f"{kind}: {name}{note}")
            elif action == "rebuild":
                unknown = sorted(set(options["kinds"]) - set(indexes.KINDS))
                if unknown:
                    raise CommandError(f"unknown index {', '.join(unknown)}; choose from {', '.join(indexes.KINDS)}")
                if options["from_log"]:
                    result = rebuild.rebuild_from_log()
                    self.stdout.write(
                        self.style.SUCCESS("rebuilt from the log: " + ", ".join(f"{k} {v}" for k, v in result.items()))
                    )
                    return
                done = rebuild.rebuild(options["kinds"] or None)
                for kind, name in done.items():
                    self.stdout.write(self.style.SUCCESS(f"{kind}: now serving {name}"))
            elif action == "flush":
                self.stdout.write(f"sent {sync.flush()} documents")
            elif action == "status":
                es = indexes.get_client()
                for kind in indexes.KINDS:
                    read = sorted(es.options(ignore_status=404).indices.get_alias(name=indexes.read_alias(kind)) or {})
                    write = sorted(
                        es.options(ignore_status=404).indices.get_alias(name=indexes.write_alias(kind)) or {}
                    )
                    self.stdout.write(f"{kind}: read={read} write={write}")
        except (sync.SearchUnavailable, TransportError) as exc:
            raise CommandError(f"Elasticsearch unavailable: {exc}") from exc

    @staticmethod
    def _behind(es: Any, alias: str) -> list[str]:
        try:
            return sorted(es.indices.get_alias(name=alias))
        except NotFoundError:
            return []
