"""Mastodon statuses queries (see docs/mastodon.md for the route table)."""

from __future__ import annotations

from django.urls import URLPattern

from socialapp.mastodon.queries.base import QueryView

urlpatterns: list[URLPattern] = []


class StatusView(QueryView):
    """GET /api/v1/statuses/:id (PUT and DELETE on the same path are commands.statuses)."""
