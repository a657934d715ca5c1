"""Audit trail and past state: an aggregate's events and its state at any version, folded from
the log (docs/analytics.md). Staff only. Through `by_method` so that a method the path lacks is a
405 problem before authentication, as on the other paths."""

from django.urls import URLPattern, path

from socialapp.common.dispatch import by_method
from socialapp.write.audit import views

urlpatterns: list[URLPattern] = [
    path(
        "admin/aggregates/<aggregate_type:aggregate_type>/<aggregate_id:aggregate_id>/events",
        by_method(get=views.AggregateEventsView.as_view()),
        name="admin-aggregate-events",
    ),
    path(
        "admin/aggregates/<aggregate_type:aggregate_type>/<aggregate_id:aggregate_id>",
        by_method(get=views.AggregateStateView.as_view()),
        name="admin-aggregate-state",
    ),
]
