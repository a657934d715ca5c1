"""Path converters of the audit routes: `<aggregate_type:...>` and `<aggregate_id:...>`.

Like socialapp/common/converters.py (whose rules they follow: anything that cannot name an
aggregate matches no route, a 404 problem before any view or query), but here, beside the
catalogue they are built from: the shared plumbing may not import the event log. Registered in
`AuditConfig.ready()`, before any URLconf is loaded.
"""

from __future__ import annotations

import re

from django.urls import register_converter

from socialapp.common.converters import BIGINT_MAX
from socialapp.events.catalogue import AggregateType


class AggregateTypeConverter:
    """One of the catalogue's aggregate types (`user`, `post`, `follow`, ...)."""

    regex = "|".join(re.escape(t.value) for t in sorted(AggregateType, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class AggregateIdConverter:
    """An aggregate id as the log spells it: a positive 64-bit id, or a pair of them joined by a
    colon (`<follower_id>:<followee_id>`, docs/events.md). Whether the form fits the type is the
    view's check (a 404 problem too)."""

    regex = "[0-9]{1,19}(?::[0-9]{1,19})?"

    def to_python(self, value: str) -> str:
        if any(int(part) > BIGINT_MAX for part in value.split(":")):
            raise ValueError("out of the bigint range")
        return value

    def to_url(self, value: str) -> str:
        return str(value)


def register() -> None:
    register_converter(AggregateTypeConverter, "aggregate_type")
    register_converter(AggregateIdConverter, "aggregate_id")
