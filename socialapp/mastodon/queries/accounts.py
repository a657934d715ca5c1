"""Mastodon accounts queries (see docs/mastodon.md for the route table)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
