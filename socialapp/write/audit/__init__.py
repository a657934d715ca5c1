"""Audit trail and past state: an aggregate's events and its state at any version or time,
folded from the log (docs/analytics.md).

On the command side because it reads the event log itself, the source of truth on `default`,
and folds it with the command side's `socialapp/write/replay.py` (the code the replay property
tests check): it is not a query-side endpoint, so the query side's "no SQL on `default`" rule
does not cover it. It only reads. Staff only."""
