"""Plumbing shared by the command-side apps: row locks, version bumps, the API base view."""
