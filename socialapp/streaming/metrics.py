"""The streaming process's own Prometheus metrics, served at its /metrics.

Kept in a registry of this module (not the global one): the figures belong to this process and
are cheap to read, unlike the pipeline gauges the web app computes. The endpoint is guarded as
the web app's is (METRICS_TOKEN as a bearer secret; none configured: 404).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CONNECTIONS = Gauge(
    "socialapp_streaming_connections", "Open streaming connections, by stream", ["stream"], registry=REGISTRY
)
RECEIVED = Counter("socialapp_streaming_messages_received", "Push messages read from the broker", registry=REGISTRY)
MALFORMED = Counter("socialapp_streaming_messages_malformed", "Push messages that did not decode", registry=REGISTRY)
PUSHED = Counter(
    "socialapp_streaming_messages_pushed", "Events queued to a connection, by event", ["event"], registry=REGISTRY
)
DUPLICATES = Counter(
    "socialapp_streaming_duplicates_suppressed",
    "Deliveries not pushed because the connection already had that message key",
    registry=REGISTRY,
)
DROPPED = Counter(
    "socialapp_streaming_dropped_slow_clients",
    "Connections closed because their queue was full (STREAMING_CONNECTION_QUEUE)",
    registry=REGISTRY,
)
RECONNECTS = Counter(
    "socialapp_streaming_broker_reconnects", "Broker connections re-established after a loss", registry=REGISTRY
)
REJECTED = Counter("socialapp_streaming_rejected", "Connections refused, by reason", ["reason"], registry=REGISTRY)
LATENCY = Histogram(
    "socialapp_streaming_push_latency_seconds",
    "From the command's commit (message.occurred_at) to the event's write to the client",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
