from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from socialapp.read.search import indexes
from socialapp.read.search.projector import SearchProjector


@pytest.fixture(autouse=True)
def hashtags_with_every_batch(settings) -> None:
    """Hashtag documents pushed with every batch, so a test sees them right after `apply`
    (tests/search/test_pending.py covers the timer, with the real setting)."""
    settings.SEARCH_HASHTAG_PUSH_SECONDS = 0


@pytest.fixture
def search_indexes() -> Iterator[None]:
    """Fresh indexes for each test (mappings from code, as `search init` applies them)."""
    indexes.drop_all()
    indexes.ensure_indexes()
    yield


@pytest.fixture
def projector(search_indexes: None) -> SearchProjector:
    return SearchProjector()


@pytest.fixture
def api() -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model()(id=1, username="reader"))
    return client
