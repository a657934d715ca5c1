"""The audit trail in the Django admin (staff): pick an aggregate, read its events, and slide
through its versions to see each state folded from the log, by the same code as the API
(socialapp/write/audit/history.py, which folds with socialapp/write/replay.py).

Plain Django views wrapped by `admin.site.admin_view` (staff login, the admin's look); the
slider is a range input in a GET form, submitted by three lines of JS on change. Mounted at
/admin/audit/ by the root URLconf; linked from the user, post and comment change pages.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from socialapp.common.errors import DomainError
from socialapp.events.catalogue import AggregateType
from socialapp.write.audit import history

EVENTS_SHOWN = 500  # the admin page shows this many of an aggregate's events; the API pages them all


class PickForm(forms.Form):
    aggregate_type = forms.ChoiceField(choices=[(t.value, t.value) for t in AggregateType])
    aggregate_id = forms.RegexField(
        regex=r"^[0-9]{1,19}(:[0-9]{1,19})?$", max_length=39, help_text="an id, or <a>:<b> for a pair"
    )


def pick(request: HttpRequest) -> HttpResponse:
    form = PickForm(request.GET or None)
    if form.is_valid():
        kind, key = form.cleaned_data["aggregate_type"], form.cleaned_data["aggregate_id"]
        return HttpResponseRedirect(reverse("audit-admin-aggregate", args=[kind, key]))
    context = {**admin.site.each_context(request), "title": "Audit trail: pick an aggregate", "form": form}
    return render(request, "audit/pick.html", context)


def aggregate(request: HttpRequest, aggregate_type: str, aggregate_id: str) -> HttpResponse:
    """Events of the aggregate and its state at `?version=` (default: the latest) or `?as_of=`."""
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": f"Audit trail: {aggregate_type} {aggregate_id}",
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "form": PickForm(initial={"aggregate_type": aggregate_type, "aggregate_id": aggregate_id}),
        "as_of": request.GET.get("as_of", ""),
    }
    status = 200
    try:
        raw = request.GET.get("as_of") or request.GET.get("version")
        past = history.past_state(aggregate_type, aggregate_id, history.parse_as_of(raw))
    except DomainError as exc:
        context["error"], status = exc.detail, exc.status
    else:
        events = history.events_page(aggregate_type, aggregate_id, after=None, limit=EVENTS_SHOWN)
        context.update(
            past=past,
            state_json=json.dumps(past.state, indent=2, sort_keys=True, default=str),
            profile=past.profile,
            events=[{**e, "payload_json": json.dumps(e["payload"], indent=1, sort_keys=True)} for e in events],
            more=len(events) == EVENTS_SHOWN,
            api_url=reverse("admin-aggregate-events", args=[aggregate_type, aggregate_id]),
        )
    return render(request, "audit/aggregate.html", context, status=status)


urlpatterns = [
    path("", admin.site.admin_view(pick), name="audit-admin-pick"),
    path(
        "<aggregate_type:aggregate_type>/<aggregate_id:aggregate_id>/",
        admin.site.admin_view(aggregate),
        name="audit-admin-aggregate",
    ),
]
