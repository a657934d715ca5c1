"""Trends: time-bucketed counters of hashtag uses and post engagement, ranked (docs/analytics.md)."""
