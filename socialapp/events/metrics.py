"""Prometheus metrics of the pipeline.

Two kinds, because the processes differ:
- counters and histograms kept by the process that does the work (relay: published; projector
  worker: applied, duplicates, failed, latency), exported by that process (`manage.py relay
  --metrics-port`, worker `PROJECTOR_METRICS_PORT`);
- gauges read from the source of truth at scrape time by `PipelineCollector` (events appended
  and published, relay lag, per-projector applied, queue and dead-letter depths), served by the
  web app at /metrics, so that they are right whichever process or host scrapes them.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

EVENTS_PUBLISHED = Counter("socialapp_relay_published", "Events this relay published and marked")
RELAY_FAILED = Counter("socialapp_relay_publish_failed", "Publishes returned, nacked or unconfirmed")
RELAY_BACKED_OFF = Counter(
    "socialapp_relay_rows_backed_off", "Log rows the broker refused or returned, put on their own backoff (alert)"
)
RELAY_REDECLARED = Counter("socialapp_relay_redeclared", "Topology re-declarations after a queue disappeared")
APPLIED = Counter("socialapp_projector_applied", "Events applied by this worker", ["projector"])
DUPLICATES = Counter("socialapp_projector_duplicates", "Deliveries skipped as already applied", ["projector"])
FAILED = Counter("socialapp_projector_failed", "Failed applications", ["projector", "kind"])
LATENCY = Histogram(
    "socialapp_projector_apply_seconds",
    "Time to apply one event",
    ["projector"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
COMMIT_TO_APPLIED = Histogram(
    "socialapp_projector_commit_to_applied_seconds",
    "From the event's commit (occurred_at) to its application",
    ["projector"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


class PipelineCollector(Collector):
    """Scrape-time gauges from PostgreSQL and the RabbitMQ management API."""

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # never query anything at registration (import) time

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        from socialapp.events.status import log_counts, projector_status

        try:
            counts = log_counts()
        except Exception:
            log.warning("metrics: event log unavailable", exc_info=True)
            return
        appended = CounterMetricFamily("socialapp_events_appended", "Events in the log")
        appended.add_metric([], counts.appended)
        yield appended
        published = CounterMetricFamily("socialapp_events_published", "Events in the log marked published")
        published.add_metric([], counts.appended - counts.unpublished)
        yield published
        unpublished = GaugeMetricFamily("socialapp_relay_backlog", "Events not yet published")
        unpublished.add_metric([], counts.unpublished)
        yield unpublished
        lag = GaugeMetricFamily("socialapp_relay_lag_seconds", "Age of the oldest unpublished event")
        lag.add_metric([], counts.oldest_unpublished_age)
        yield lag

        applied = CounterMetricFamily("socialapp_projection_applied", "Events applied", labels=["projector"])
        behind = GaugeMetricFamily(
            "socialapp_projection_lag_events", "Handled events not applied", labels=["projector"]
        )
        depth = GaugeMetricFamily("socialapp_queue_depth", "Messages in the projector's queue", labels=["projector"])
        unacked = GaugeMetricFamily("socialapp_queue_unacked", "Messages delivered, not acked", labels=["projector"])
        dead = GaugeMetricFamily("socialapp_dead_letters", "Messages in the dead-letter queue", labels=["projector"])
        consumers = GaugeMetricFamily("socialapp_queue_consumers", "Workers consuming", labels=["projector"])
        for row in projector_status():
            applied.add_metric([row.name], row.applied)
            if row.lag is not None:
                behind.add_metric([row.name], row.lag)
            if row.ready is not None:
                depth.add_metric([row.name], row.ready)
                unacked.add_metric([row.name], row.unacked or 0)
                consumers.add_metric([row.name], row.consumers or 0)
            if row.dead is not None:
                dead.add_metric([row.name], row.dead)
        yield from (applied, behind, depth, unacked, dead, consumers)


PIPELINE_REGISTRY = CollectorRegistry()
PIPELINE_REGISTRY.register(PipelineCollector())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the pipeline's gauges in Prometheus format, for scrapers on private networks.

    Not public: it names projectors and queue depths. Requests from a public address get 404.
    """
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        raise Http404 from None
    if not (address.is_loopback or address.is_private):
        raise Http404
    return HttpResponse(generate_latest(PIPELINE_REGISTRY), content_type=CONTENT_TYPE_LATEST)
