"""Fixtures and helpers for command-side tests (tests/write, tests/api): users made through the
registration service, clients with their Bearer tokens, the event log in order."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from socialapp.events.models import Event
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import token_issue, user_register

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(username: str | None = None, **extra) -> User:
    return user_register(
        username=username or f"user_{next(_counter)}", email="u@example.org", password=PASSWORD, **extra
    )


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}")
    return client


def create_post(user: User, body: str = "hello") -> dict:
    """POST a post through the API as `user`; its JSON (the command must succeed)."""
    r = client_for(user).post("/api/socialapp/v1/posts", {"body": body}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def events(**filters) -> list[Event]:
    return list(Event.objects.filter(**filters).order_by("position"))


@pytest.fixture
def alice(db) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob")


@pytest.fixture
def moderator(db) -> User:
    return make_user("mod", is_staff=True)
