"""Where reads and writes go once read replicas are configured (no standby needed: routing only)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import router

from socialapp.common import replicas
from socialapp.common.db_router import SideRouter
from socialapp.read.common import sql

REPLICA = "read_replica_0"


@pytest.fixture
def routed(settings):
    settings.READ_REPLICAS = [REPLICA]
    replicas.reset()
    yield
    replicas.reset()


def _models(side: str) -> list:
    return [m for m in apps.get_models() if SideRouter().db_for_write(m) == side]


def test_outside_a_query_request_everything_reads_the_primary(routed) -> None:
    assert replicas.query_alias() == "read"
    for model in _models("read"):
        assert router.db_for_read(model) == "read"


def test_a_pinned_request_reads_query_models_from_its_replica_and_writes_nothing_there(routed) -> None:
    read_models, write_models = _models("read"), _models("default")
    assert read_models and write_models
    with replicas.pinned(REPLICA):
        assert replicas.query_alias() == REPLICA
        for model in read_models:
            assert router.db_for_read(model) == REPLICA, model
            assert router.db_for_write(model) == "read", model
        for model in write_models:
            assert router.db_for_read(model) == router.db_for_write(model) == "default", model
    assert replicas.query_alias() == "read"


def test_no_migration_ever_targets_a_replica_alias() -> None:
    for config in apps.get_app_configs():
        for model in config.get_models():
            assert not router.allow_migrate(REPLICA, config.label, model_name=model._meta.model_name), model
        assert not router.allow_migrate(REPLICA, config.label)


def test_the_sql_helpers_refuse_to_write_a_replica_and_projector_locks_stay_on_the_primary(routed) -> None:
    with pytest.raises(ValueError, match="replica"):
        sql.execute("SELECT 1", using=REPLICA)  # refused before any connection
    import inspect

    source = inspect.getsource(sql.versioned_toggle)
    assert source.count("using=READ") == 2  # its SELECT ... FOR UPDATE never follows a pin


def test_without_replicas_a_request_pins_nothing(settings) -> None:
    settings.READ_REPLICAS = []
    with replicas.pinned_for_request() as alias:
        assert alias == "read" and replicas.query_alias() == "read"


@pytest.mark.django_db(transaction=True, databases=["read"])
def test_a_transaction_on_read_or_a_write_moves_the_request_to_the_primary(routed) -> None:
    from django.db import transaction

    with replicas.pinned(REPLICA):  # as a request that picked it (no standby needed here)
        assert replicas.query_alias() == REPLICA
        with transaction.atomic(using="read"):
            assert replicas.query_alias() == "read"  # FOR UPDATE, read-modify-write: the primary
        assert replicas.query_alias() == REPLICA
        sql.execute("SELECT 1")  # a write of `read` (any execute) ...
        assert replicas.query_alias() == "read"  # ... keeps the rest of the request on the primary
    assert replicas.query_alias() == "read"
