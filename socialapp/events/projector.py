"""The projector base: how read models consume events.

A projector names itself, declares a handler per event type with `@handles`, and says on which
database its effects live. `Projector.apply` gives the exactly-once effect: in one transaction
on that database it records (projector, event id) in the tracking table and runs the handler;
an event already recorded is skipped. Handlers must still tolerate re-ordering within an
aggregate (compare aggregate versions), because a redelivered older event can arrive late.

Projectors register with `@register`; the worker (socialapp.events.worker) routes messages to
them, and tests call `apply` directly. `@handles` takes the catalogue's `EventType`s and refuses
any other type when the projector's module is imported.

Errors tell the worker what to do with a message (`classify_error`): `TransientError`, a lost
database connection, a database error whose SQLSTATE says "try again" (serialization failure,
deadlock, lock not available, admin shutdown, insufficient resources) and an unreachable
Elasticsearch are retried with exponential backoff and jitter, at most EVENTS_TRANSIENT_RETRIES
times through the tail of the queue; `PermanentError` and database errors that can never succeed
(data exceptions, integrity violations, syntax or undefined objects, program limits) go straight
to the dead letters; any other exception is a bug: the message is requeued and dead-lettered
after the queue's delivery limit.

Hooks for operations (docs/pipeline.md, "Rebuilds and checks"):
- `tables`: the read-DB tables the projector owns (only it writes them). The default rebuild
  replays the log into fresh copies of them in a shadow schema and swaps them in atomically;
  handlers must therefore use unqualified table names (ORM models and raw SQL both do).
- `rebuild_strategy()`: override to rebuild storage that is not tables (an index behind an alias).
- `check()`: the convergence check: compare the read model with what the log implies.
- `replaying`: true while a rebuild or a check replays events into a shadow or scratch schema;
  side effects outside the transaction must be skipped then (`Projector`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.conf import settings
from django.db import connections, transaction

from socialapp.events.catalogue import ALL_EVENT_TYPES
from socialapp.events.log import EventMessage
from socialapp.events.rebuild import CheckReport, SchemaSwapRebuild, replay_check

# EventMessage (the log's form of an event) and CheckReport (the check's result) are part of the
# projector's interface: projectors import them from here.
from socialapp.events.sqlstate import sqlstate

Handler = Callable[["Projector", EventMessage], None]


class TransientError(Exception):
    """The effect could not be applied now but may later (a service is unreachable): retry."""


class PermanentError(Exception):
    """The event can never be applied by this code (malformed, unknown schema): dead-letter it."""


#: SQLSTATEs (exact codes, or two-character classes) after which the same statement may succeed:
#: connection exceptions, serialization failure, deadlock, lock not available (lock_timeout),
#: query canceled (statement_timeout: load-dependent; the transient cap bounds a statement that
#: always times out), admin/crash shutdown and cannot-connect-now, insufficient resources.
TRANSIENT_SQLSTATES = (
    "08", "40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "57P04", "57P05", "53",
)  # fmt: skip
#: SQLSTATE classes that no retry can fix: data exceptions, integrity constraint violations,
#: syntax errors or access rule violations (undefined table or column), program limits exceeded.
PERMANENT_SQLSTATE_CLASSES = ("22", "23", "42", "54")

TRANSIENT, PERMANENT, ERROR = "transient", "permanent", "error"


def classify_error(exc: BaseException) -> str:
    """What the worker does with a message that raised `exc`: TRANSIENT (retry later, capped),
    PERMANENT (dead-letter now) or ERROR (a bug: requeue, bounded by the delivery limit).

    Database errors are told apart by SQLSTATE, not by Django's class: psycopg maps very different
    failures to OperationalError (a deadlock, but also "index row size exceeds maximum", which no
    retry fixes), so trusting the class let such events cycle forever.
    """
    from django.db import DatabaseError, InterfaceError, OperationalError

    if isinstance(exc, TransientError):
        return TRANSIENT
    if isinstance(exc, PermanentError):
        return PERMANENT
    if isinstance(exc, InterfaceError):
        return TRANSIENT  # the connection is unusable (closed under us)
    if isinstance(exc, DatabaseError):
        code = sqlstate(exc)
        if code is None:  # no answer from the server at all: the connection broke
            return TRANSIENT if isinstance(exc, OperationalError) else ERROR
        if any(code.startswith(prefix) for prefix in TRANSIENT_SQLSTATES):
            return TRANSIENT
        if code[:2] in PERMANENT_SQLSTATE_CLASSES:
            return PERMANENT
        return ERROR
    try:
        from elastic_transport import ConnectionError as ESConnectionError
        from elastic_transport import ConnectionTimeout
    except ImportError:  # pragma: no cover
        return ERROR
    if isinstance(exc, ESConnectionError | ConnectionTimeout):
        return TRANSIENT
    return ERROR


def is_transient(exc: BaseException) -> bool:
    return classify_error(exc) == TRANSIENT


#: One outcome per event of a batch: applied (True), skipped as a duplicate or not handled
#: (False), or the exception that event raised (the others are unaffected).
Outcome = bool | Exception


class UnknownEventType(ValueError):
    """`@handles` named a type the catalogue does not have: no one publishes it."""


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of these event types (`EventType` members).

    A type outside the catalogue (socialapp.events.catalogue) raises here, while the module is
    imported: a typo would otherwise bind a routing key that nobody publishes, and the handler
    would silently never run."""
    unknown = [t for t in event_types if t not in ALL_EVENT_TYPES]
    if unknown or not event_types:
        raise UnknownEventType(
            f"@handles({', '.join(map(repr, event_types))}): not in the event catalogue: {unknown!r}"
        )

    routing_keys = tuple(str(t) for t in event_types)  # plain strings: the routing keys and the SQL

    def mark(fn: Handler) -> Handler:
        fn._handles = routing_keys  # type: ignore[attr-defined]
        return fn

    return mark


#: The projectors (by name) whose replay runs in this context: see `Projector.replay`. A context
#: variable, not an attribute of the (shared, registered) instance, so that a live apply in another
#: thread of the same process is never mistaken for a replay.
_replaying: ContextVar[frozenset[str]] = ContextVar("projector_replaying", default=frozenset())


class Projector:
    """A read model's consumer of events (see the module docstring).

    Replays: a rebuild or a check re-applies logged events into a shadow or scratch schema
    (socialapp.events.rebuild), within `replay()`. Side effects outside the projector's transaction
    (dispatching tasks, pushing to Elasticsearch) must be skipped while `self.replaying` is true:
    the rows they would act on are not the live ones (yet), and the live apply already did them.
    """

    name: ClassVar[str]
    database: ClassVar[str] = "read"
    handlers: ClassVar[dict[str, Handler]] = {}
    tables: ClassVar[tuple[str, ...]] = ()
    #: How many messages a worker may hand to `apply_batch` at once; 0: EVENTS_BATCH_SIZE. A batch
    #: amortises the commit, the advisory lock, the tracking insert, the connection health check,
    #: the ack and any push to an external store (search). 1: one message at a time.
    batch_size: ClassVar[int] = 0

    @property
    def batch_wait_ms(self) -> int:
        """How long a worker lets a partial batch collect before applying it (0: as soon as the
        broker's socket is empty): EVENTS_BATCH_COLLECT_MS unless the projector says otherwise
        (search: SEARCH_BATCH_WAIT_MS)."""
        return settings.EVENTS_BATCH_COLLECT_MS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Handler] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_type in getattr(attr, "_handles", ()):
                    found[event_type] = attr
        cls.handlers = found

    @classmethod
    def event_types(cls) -> tuple[str, ...]:
        return tuple(sorted(cls.handlers))

    @property
    def replaying(self) -> bool:
        """True inside `replay()` (in this thread or task): skip side effects outside the transaction."""
        return self.name in _replaying.get()

    @contextmanager
    def replay(self) -> Iterator[None]:
        """Mark what runs inside as a replay of this projector (`replaying` is true); the rebuild
        and the check wrap their replays in it."""
        token = _replaying.set(_replaying.get() | {self.name})
        try:
            yield
        finally:
            _replaying.reset(token)

    def apply(self, event: EventMessage) -> bool:
        """Apply once. Returns False for a duplicate or an event this projector ignores; raises
        what the handler raised."""
        outcome = self.apply_batch([event])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def apply_batch(self, events: Sequence[EventMessage]) -> list[Outcome]:
        """Apply many events with one commit; one outcome per event, in order.

        The fast path is one transaction: tracking rows for the whole batch in one statement,
        then every new event's handler. If an event fails there, the batch is rolled back and
        applied again one transaction per event, so a poison event costs only itself. Transient
        errors are raised (the caller retries the whole batch; what committed is skipped as
        duplicates). An event whose effect an external store refused (`after_commit_batch`) gets
        that refusal as its outcome: the worker dead-letters it alone.
        """
        outcomes = self.apply_outcomes(events)
        refused = self.after_commit_batch(events)
        for index, event in enumerate(events):
            if event.event_id in refused and not isinstance(outcomes[index], Exception):
                outcomes[index] = refused[event.event_id]
        return outcomes

    def after_commit(self) -> None:
        """Runs after `apply`/`apply_batch` committed (also when everything was a duplicate): push
        effects to stores outside the database here, idempotently."""

    def after_commit_batch(self, events: Sequence[EventMessage]) -> dict[uuid.UUID, PermanentError]:
        """`after_commit` for a batch; returns the events whose effect the external store refused
        for good (by event id, with the reason), so that only those are dead-lettered. Default:
        `after_commit()`, nothing refused."""
        self.after_commit()
        return {}

    def status(self) -> dict[str, int] | None:
        """Extra figures for `projections status` (name -> count), e.g. pending side jobs; None:
        nothing to add. Runs in the operator's process against the read database."""
        return None

    def _apply_alone(self, event: EventMessage) -> Outcome:
        try:
            return self._apply_atomically([event])[0]
        except Exception as exc:
            if is_transient(exc):
                raise
            return exc

    def apply_outcomes(self, events: Sequence[EventMessage]) -> list[Outcome]:
        """The batch's effect committed and one outcome per event, without the external push: one
        transaction, or (an event failed there) one transaction per event so a poison event costs
        only itself; transient errors are raised for the caller to retry the whole batch."""
        try:
            return self._apply_atomically(events)
        except Exception as exc:
            if is_transient(exc):
                raise
            return [exc] if len(events) == 1 else [self._apply_alone(event) for event in events]

    def _apply_atomically(self, events: Sequence[EventMessage]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        todo: list[EventMessage] = []
        with transaction.atomic(using=self.database):
            fresh = self._record_many([e for e in events if e.event_type in self.handlers])
            for event in events:
                is_new = event.event_id in fresh
                fresh.discard(event.event_id)  # the same event twice in one batch: once
                outcomes.append(is_new)
                if is_new:
                    todo.append(event)
            if todo:
                self.handle(todo)
        return outcomes

    def handle(self, events: Sequence[EventMessage]) -> None:
        """Run the handlers of new (just recorded) events in order, inside the applying transaction.

        Override to share work across a batch: load and lock the rows the events touch with one
        statement, let the handlers change them in memory, write them back once (search does).
        """
        for event in events:
            self.handlers[event.event_type](self, event)

    def check(self) -> CheckReport | None:
        """Convergence check. By default, for a projector whose read model is its `tables`: they
        equal a replay of the events it applied (socialapp.events.rebuild.replay_check). None: no
        tables, no check."""
        if not self.tables:
            return None
        return replay_check(self)

    def rebuild_strategy(self) -> Any:
        """How `projections rebuild` rebuilds this projector (socialapp.events.rebuild)."""
        return SchemaSwapRebuild(self)

    @property
    def lock_key(self) -> str:
        return f"projector:{self.name}"

    def _record_many(self, events: Sequence[EventMessage]) -> set[uuid.UUID]:
        """Record the events as applied; returns the ids that were not recorded before."""
        if not events:
            return set()
        with connections[self.database].cursor() as cursor:
            # Shared with every other apply; a rebuild's switch takes it exclusively, so no apply
            # straddles the switch (socialapp.events.rebuild). Taken by the same statement as the
            # tracking insert (one round trip, not two): the materialised CTE runs before the
            # first row is joined, so before anything is inserted.
            cursor.execute(
                "WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(hashtext(%s)))"
                " INSERT INTO projection_applied_event (projector, event_id, position, applied_at)"
                " SELECT %s, e.id, e.pos, now() FROM lock, unnest(%s::uuid[], %s::bigint[]) AS e(id, pos)"
                " ON CONFLICT (projector, event_id) DO NOTHING RETURNING event_id",
                [self.lock_key, self.name, [e.event_id for e in events], [e.position for e in events]],
            )
            return {row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])) for row in cursor.fetchall()}


def runs_of(events: Sequence[EventMessage], event_type: str) -> Iterator[tuple[bool, Sequence[EventMessage]]]:
    """The batch in log order, cut for a set-based `handle`: each maximal run of consecutive
    `event_type` events as (True, run), every other event alone as (False, [event]). A handler
    that applies a run at once keeps the log's order with everything around it."""
    start = 0
    while start < len(events):
        end = start
        while end < len(events) and events[end].event_type == event_type:
            end += 1
        if end > start:
            yield True, events[start:end]
        else:
            end = start + 1
            yield False, events[start:end]
        start = end


REGISTRY: dict[str, Projector] = {}


def register(cls: type[Projector]) -> type[Projector]:
    if cls.name in REGISTRY and type(REGISTRY[cls.name]) is not cls:
        raise ValueError(f"two projectors named {cls.name!r}")
    REGISTRY[cls.name] = cls()
    return cls
