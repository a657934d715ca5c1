"""`manage.py deadletters list|retry|purge [NAME]` (docs/ops.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from socialapp.events.deadletters import list_dead, purge_dead, retry_dead


class Command(BaseCommand):
    help = "Inspect, retry or purge the dead letters of one projector or of all of them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "retry", "purge"])
        parser.add_argument("name", nargs="?", help="projector name (default: every projector)")

    def handle(self, *args: Any, action: str, name: str | None = None, **options: Any) -> None:
        try:
            if action == "list":
                letters = list_dead(name)
                for d in letters:
                    self.stdout.write(
                        f"{d.projector}\t#{d.position}\t{d.event_type}\t{d.event_id}\t{d.reason}\tdeaths={d.deaths}"
                        + (f"\t{d.error}" if d.error else "")
                    )
                self.stdout.write(f"{len(letters)} dead letters")
            elif action == "retry":
                with tqdm(desc="retrying dead letters", unit="msg", disable=None) as bar:
                    sent = retry_dead(name, progress=bar.update)
                self.stdout.write(f"sent {sent} dead letters back to their projector queues")
            else:
                self.stdout.write(f"purged {purge_dead(name)} dead letters")
        except KeyError as exc:
            raise CommandError(str(exc.args[0])) from exc
