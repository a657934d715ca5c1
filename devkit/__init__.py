"""Helpers for code that drives the real services from outside the application: the tests and
the benchmarks. Neither production code nor the benchmarks may import `tests`, so what both need
(child processes that see the caller's databases, vhost and indexes; the relay and projector
workers as such processes; RabbitMQ vhosts of their own; waiting on a condition) lives here.

`socialapp` never imports this package (an import contract in pyproject.toml says so).
"""
