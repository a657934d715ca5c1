"""Errors outside any view still answer in the problem-details shape."""

from django.test import Client


def test_unknown_url_is_a_json_problem():
    response = Client().get("/no/such/route")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["type"] == "/problems/not-found" and body["title"]
