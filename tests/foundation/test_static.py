"""Static files are served by the application itself in every mode (WhiteNoise), and the API docs
load Swagger UI from the project's pinned copy (drf-spectacular-sidecar), never from a CDN.

Django's test client goes through the same WSGI handler and middleware as gunicorn, so a 200 here
is a 200 under `make run` (runserver's own static serving is not involved)."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def test_the_admin_stylesheet_is_served():
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"body" in b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_api_docs_load_swagger_ui_from_our_own_static_files():
    page = Client().get("/api/socialapp/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "@latest" not in html and "//unpkg" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", html)
    assert any("swagger-ui-bundle" in a for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        response = Client().get(asset)
        assert response.status_code == 200, asset
