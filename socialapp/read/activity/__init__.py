"""Activity: the staff dashboard's read model (events, commands, active users, projection health per minute; docs/analytics.md)."""
