"""Audit trail and past state: an aggregate's events and its state at any version, folded from the log (docs/analytics.md)."""
