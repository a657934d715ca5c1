"""Fixtures of the pipeline tests: the probe projector's tables, reset for every test."""

from collections.abc import Iterator

import pytest

from tests.events import probe


@pytest.fixture
def probe_tables(django_db_blocker: object) -> Iterator[None]:
    """The probe's tables, empty, and the probe registered in this process for this test only
    (so that no other test ever sees it in REGISTRY)."""
    probe.create_tables()
    probe.reset_tables()
    probe.install()
    try:
        yield
    finally:
        probe.uninstall()
        probe.reset_tables()
