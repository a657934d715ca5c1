"""Operational tasks with no side of their own."""

from celery import shared_task


@shared_task(name="socialapp.ping")
def ping(token: str) -> dict[str, str]:
    """Proves the round trip caller -> RabbitMQ -> worker process -> result."""
    import os

    return {"pong": token, "pid": str(os.getpid())}
