"""The projector base's guards, without a pipeline: `@handles` takes only the catalogue's types,
and `replay()` marks a replay for one projector, in one context; the rebuild and the check set it."""

from __future__ import annotations

import threading
from typing import ClassVar

import pytest

from socialapp.events.catalogue import ALL_EVENT_TYPES, EventType
from socialapp.events.projector import REGISTRY, EventMessage, Projector, UnknownEventType, handles
from socialapp.events.rebuild import replay_check
from tests.events.helpers import append_probe_events
from tests.events.probe import PROBE_TYPES, ProbeProjector


def test_handles_refuses_a_type_outside_the_catalogue_at_decoration() -> None:
    with pytest.raises(UnknownEventType, match=r"post\.craeted"):

        class Typo(Projector):
            name = "typo"

            @handles(EventType.POST_DELETED, "post.craeted")
            def on_created(self, event: EventMessage) -> None:
                raise AssertionError("never bound")

    with pytest.raises(UnknownEventType):
        handles()  # a handler of nothing is a mistake too


def test_handles_binds_catalogue_types_as_plain_routing_keys() -> None:
    class Fine(Projector):
        name = "fine"

        @handles(EventType.POST_LIKED, "post.unliked")
        def on_like(self, event: EventMessage) -> None:
            pass

    assert Fine.event_types() == ("post.liked", "post.unliked")
    assert all(type(t) is str for t in Fine.handlers)


def test_every_registered_projector_handles_only_catalogue_types() -> None:
    assert {"profiles", "search", "home_feed", "notifications", "posts"} <= set(REGISTRY)
    for name, projector in REGISTRY.items():
        assert projector.handlers, name
        assert set(projector.handlers) <= set(ALL_EVENT_TYPES), name


def test_replaying_is_set_for_that_projector_within_replay_only() -> None:
    search, profiles = REGISTRY["search"], REGISTRY["profiles"]
    seen_elsewhere: list[bool] = []
    assert not search.replaying
    with search.replay():
        assert search.replaying
        assert not profiles.replaying  # one projector's replay is not another's
        other = threading.Thread(target=lambda: seen_elsewhere.append(search.replaying))
        other.start()
        other.join()
        with search.replay():  # nested: still replaying after the inner one ends
            pass
        assert search.replaying
    assert not search.replaying
    assert seen_elsewhere == [False]  # a live apply in another thread is not a replay


class _Watching(ProbeProjector):
    """The probe, noting whether each application ran as a replay (not registered)."""

    seen: ClassVar[list[bool]] = []

    @handles(*PROBE_TYPES)
    def on_event(self, event: EventMessage) -> None:
        self.seen.append(self.replaying)
        super().on_event(event)


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_the_check_and_the_rebuild_replay_with_the_flag_set_live_applies_without(probe_tables) -> None:
    projector, _Watching.seen = _Watching(), []
    for event in append_probe_events(3):
        projector.apply(EventMessage.from_dict(event.as_message()))
    assert _Watching.seen == [False] * 3
    assert replay_check(projector).ok
    assert _Watching.seen == [False] * 3 + [True] * 3
    assert projector.rebuild_strategy().run()["replayed"] == 3
    assert _Watching.seen == [False] * 3 + [True] * 6
    assert not projector.replaying
