"""Real users with tokens (sessions issued by the command side, which publishes them to the cache
that query authentication reads) and read models built from the factory's events for the same ids."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from socialapp.write.accounts.services import token_issue
from tests.read.conftest import apply_all
from tests.read.factory import World


@dataclass
class Site:
    world: World
    ids: dict[str, int]
    tokens: dict[str, str]

    def client(self, name: str | None = None) -> APIClient:
        client = APIClient()
        if name:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[name]}")
        return client

    def apply(self) -> None:
        apply_all(self.world.events)


def make_site(*names: str) -> Site:
    user_model = get_user_model()
    world, ids, tokens = World(), {}, {}
    for name in names:
        user = user_model.objects.create_user(username=name, email=f"{name}@example.org", password="x-Passw0rd!")
        tokens[name] = token_issue(user=user)
        ids[name] = world.register(name, uid=user.pk)
    return Site(world, ids, tokens)
