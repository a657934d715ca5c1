"""The method dispatcher lets a query view and command views share one path."""

import pytest
from django.http import JsonResponse
from django.test import Client
from django.urls import get_resolver

from socialapp.common import dispatch


@pytest.fixture(autouse=True)
def urlconf_loaded():
    """Load every urls.py first, so the query side's registrations land before we swap them out."""
    assert get_resolver().url_patterns


@pytest.fixture
def fake_query_view(monkeypatch):
    monkeypatch.setattr(dispatch, "_query_views", {})

    def view(request, post_id):
        return JsonResponse({"side": "query", "post_id": post_id})

    dispatch.register_query_view("post-detail", view)
    return view


def test_get_goes_to_the_registered_query_view(fake_query_view):
    response = Client().get("/api/v1/posts/12345678901234567")
    assert response.status_code == 200
    assert response.json() == {"side": "query", "post_id": 12345678901234567}
    assert Client().head("/api/v1/posts/1").status_code == 200


def test_unregistered_method_is_a_problem_405(monkeypatch):
    monkeypatch.setattr(dispatch, "_query_views", {})
    response = Client().get("/api/v1/comments/1")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_unknown_route_key_is_refused():
    with pytest.raises(KeyError):
        dispatch.register_query_view("nope", lambda request: None)
