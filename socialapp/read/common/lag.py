"""`X-Read-Lag`: how far a read model is behind the log, in seconds.

Definition: now minus `occurred_at` (commit time) of the OLDEST event among the latest
LAG_WINDOW events of the log that one of the endpoint's projectors handles and has not applied
yet; 0 when they applied all of them. Rendered with millisecond precision, e.g. `0.000` or
`1.250`. If the whole window is unapplied the figure is a lower bound.

It is measured by a sampler thread once per LAG_INTERVAL seconds, off the request path, so
serving a query never sends SQL to the `default` alias (the log lives there); a response
carries the latest sample, at most one interval old. Until the first sample exists the header
says `unknown`. With read replicas each alias is sampled on its own: the figure a response
carries is what the replica that served it has applied (its replay delay included).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.db import connections
from django.utils import timezone

from socialapp.common.replicas import query_alias
from socialapp.events.projector import REGISTRY
from socialapp.read.common.consistency import applied
from socialapp.read.common.sql import fetchall

HEADER = "X-Read-Lag"
LAG_INTERVAL = 1.0
LAG_WINDOW = 1000
log = logging.getLogger(__name__)


def measure(projectors: Iterable[str], using: str = "read") -> float:
    """One measurement (reads the log on `default` and the tracking table on `using`)."""
    names = sorted(set(projectors))
    types = sorted({t for n in names for t in REGISTRY[n].handlers})
    events = fetchall(
        "SELECT position, event_type, occurred_at FROM event_log WHERE event_type = ANY(%s)"
        " ORDER BY position DESC LIMIT %s",
        [types, LAG_WINDOW],
        using="default",
    )
    if not events:
        return 0.0
    done = applied(names, (e[0] for e in events), using=using)
    for position, event_type, occurred_at in reversed(events):  # oldest first
        if any(event_type in REGISTRY[n].handlers and (n, position) not in done for n in names):
            return max(0.0, (timezone.now() - occurred_at).total_seconds())
    return 0.0


class _Sampler:
    def __init__(self) -> None:
        self.values: dict[tuple[str, frozenset[str]], float] = {}
        self.wanted: set[tuple[str, frozenset[str]]] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.first = threading.Event()

    def get(self, alias: str, projectors: Iterable[str]) -> float | None:
        key = (alias, frozenset(projectors))
        with self.lock:
            self.wanted.add(key)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="read-lag-sampler", daemon=True)
                self.thread.start()
            return self.values.get(key)

    def _run(self) -> None:
        while True:
            with self.lock:
                wanted = list(self.wanted)
            for key in wanted:
                try:
                    value = measure(key[1], using=key[0])
                except Exception:  # a DB blip must not kill the sampler; the header says unknown
                    log.debug("lag sample failed", exc_info=True)
                    value = None
                with self.lock:
                    if value is None:
                        self.values.pop(key, None)
                    else:
                        self.values[key] = value
            connections.close_all()  # this thread's own connections only
            time.sleep(LAG_INTERVAL)


_sampler = _Sampler()


def read_lag(projectors: Iterable[str]) -> str:
    value = _sampler.get(query_alias(), projectors)
    return "unknown" if value is None else f"{value:.3f}"
