"""Both database aliases are real, separate PostgreSQL databases, and the router keeps each
app's tables on its side."""

import uuid

import pytest
from django.db import connections

from socialapp.common.db_router import alias_for_app
from socialapp.events.models import Event
from socialapp.events.tracking.models import AppliedEvent
from socialapp.write.accounts.models import User
from socialapp.write.accounts.services import user_register

pytestmark = pytest.mark.django_db(databases=["default", "read"])


def _tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def test_write_alias_round_trip():
    # Through the command service, as every write of the write model must be.
    user_register(username="alice", email="a@example.com", password="correct horse battery staple")
    assert User.objects.using("default").get(username="alice").email == "a@example.com"
    assert Event.objects.using("default").filter(event_type="user.registered").count() == 1


def test_read_alias_round_trip():
    event_id = uuid.uuid4()
    AppliedEvent.objects.create(projector="roundtrip", event_id=event_id, position=7)
    assert AppliedEvent.objects.using("read").get(event_id=event_id).position == 7


def test_aliases_are_different_databases():
    names = {alias: connections[alias].settings_dict["NAME"] for alias in ("default", "read")}
    assert names["default"] != names["read"]
    with connections["read"].cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == names["read"]


def test_router_keeps_each_side_on_its_database():
    write_tables, read_tables = _tables("default"), _tables("read")
    assert {"accounts_user", "event_log", "accounts_auth_token"} <= write_tables
    assert "projection_applied_event" in read_tables
    assert not {"accounts_user", "event_log"} & read_tables
    assert "projection_applied_event" not in write_tables
    assert alias_for_app("accounts") == "default"
    assert alias_for_app("projection_tracking") == "read"


def test_snowflake_ids_are_time_ordered():
    from socialapp.common.ids import id_to_datetime

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT socialapp_next_id() FROM generate_series(1, 1000)")
        ids = [row[0] for row in cursor.fetchall()]
    assert ids == sorted(ids) and len(set(ids)) == 1000
    assert id_to_datetime(ids[0]).year >= 2024
