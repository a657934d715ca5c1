"""Links from the admin's change pages (users, posts, comments) to their audit page
(socialapp/write/audit/admin_views.py). Apart from the views: model admins import this while the
admin autodiscovers, before the audit converters that the views' routes use are registered."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html


def link(aggregate_type: str, aggregate_id: object) -> str:
    """An admin link to an aggregate's audit page (for change pages)."""
    url = reverse("audit-admin-aggregate", args=[aggregate_type, str(aggregate_id)])
    return format_html('<a href="{}">events and past states</a>', url)


class AuditLinkMixin:
    """For a ModelAdmin whose objects are aggregates: a read-only `audit_trail` field linking to
    the audit page (add "audit_trail" to `readonly_fields`, and to `fields` if it sets them)."""

    audit_aggregate_type: str

    @admin.display(description="audit trail")
    def audit_trail(self, obj: Any) -> str:
        return link(self.audit_aggregate_type, obj.pk) if obj is not None and obj.pk else "-"
