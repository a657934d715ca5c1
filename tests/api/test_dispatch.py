"""The method dispatcher lets a query view and command views share one path."""

import types

import pytest
from django.http import JsonResponse
from django.test import Client
from django.urls import get_resolver, path

from socialapp.common import dispatch


@pytest.fixture(autouse=True)
def urlconf_loaded():
    """Load every urls.py first: the real URLconf composes the shared paths when it is built."""
    assert get_resolver().url_patterns


@pytest.fixture
def fake_query_view(settings):
    """A URLconf of one shared path whose GET is a stand-in for the query side's view."""

    def view(request, post_id):
        return JsonResponse({"side": "query", "post_id": post_id})

    urlconf = types.ModuleType("fake_urlconf")
    urlconf.urlpatterns = [
        path("api/socialapp/v1/posts/<id:post_id>", dispatch.by_method(get=view), name="post-detail")
    ]
    settings.ROOT_URLCONF = urlconf
    return view


def test_get_goes_to_the_composed_query_view(fake_query_view):
    response = Client().get("/api/socialapp/v1/posts/12345678901234567")
    assert response.status_code == 200
    assert response.json() == {"side": "query", "post_id": 12345678901234567}
    assert Client().head("/api/socialapp/v1/posts/1").status_code == 200


def test_a_method_nobody_serves_is_a_problem_405():
    response = Client().get("/api/socialapp/v1/comments/1")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_a_method_the_dispatcher_lacks_is_a_problem_405():
    response = Client().put("/api/socialapp/v1/posts/1")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405


def test_unknown_method_name_is_refused():
    with pytest.raises(KeyError):
        dispatch.by_method(pacth=lambda request: None)
