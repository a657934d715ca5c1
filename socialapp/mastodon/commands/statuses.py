"""Mastodon statuses commands (see docs/mastodon.md for the route table)."""

from __future__ import annotations

from django.urls import URLPattern

from socialapp.mastodon.commands.base import CommandView

urlpatterns: list[URLPattern] = []


class StatusView(CommandView):
    """PUT (edit) and DELETE /api/v1/statuses/:id (GET on the same path is queries.statuses)."""
