"""The upgrade from DRF's `authtoken`: existing plain-text tokens become hashed sessions (the
clients stay logged in) and the old table goes."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from socialapp.write.accounts.models import AuthToken
from tests.command_support import make_user

pytestmark = pytest.mark.django_db

migration = importlib.import_module("socialapp.write.accounts.migrations.0004_retire_drf_authtoken")
OLD_KEY = "0123456789abcdef0123456789abcdef01234567"


def test_old_tokens_are_carried_over_hashed_and_the_table_dropped():
    alice = make_user("alice")
    with connection.cursor() as cursor:  # the table as DRF's authtoken migrations left it
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL,"
            " user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [OLD_KEY, alice.pk])
    with connection.schema_editor() as editor:
        migration.carry_over(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    [session] = AuthToken.objects.filter(user=alice)
    assert OLD_KEY not in session.key_hash and session.label == "carried over"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {OLD_KEY}")
    assert client.get("/api/socialapp/v1/auth/sessions").status_code == 200
    with connection.schema_editor() as editor:  # a database that never had the table: nothing to do
        migration.carry_over(apps, editor)
    assert AuthToken.objects.count() == 1
