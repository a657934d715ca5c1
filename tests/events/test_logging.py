"""Expected transient errors log one warning line each, never a traceback per retry."""

from __future__ import annotations

import io
import logging
import threading

import pytest
from django.conf import settings
from elasticsearch import Elasticsearch
from kombu import Connection

from socialapp.events.logfilter import OneLineTransientErrors
from socialapp.events.relay import Relay
from tests.support import wait_for


@pytest.fixture
def console() -> io.StringIO:
    """A handler configured as settings.LOGGING configures the console one."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(OneLineTransientErrors())
    logger = logging.getLogger("tests.transient")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def _raised(fn) -> BaseException:
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def test_settings_install_the_filter_on_the_console_handler():
    assert "one_line_transient" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["loggers"]["elastic_transport"]["level"] == "ERROR"


def test_an_unreachable_elasticsearch_or_broker_is_one_line(console):
    es_down = _raised(lambda: Elasticsearch("http://127.0.0.1:1", max_retries=0).info())
    broker_down = _raised(lambda: Connection("amqp://guest:guest@127.0.0.1:1//", connect_timeout=1).connect())
    logger = logging.getLogger("tests.transient")
    for exc in (es_down, broker_down):
        logger.warning("retrying %s", "soon", exc_info=exc)
    lines = console.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("WARNING tests.transient retrying soon (ConnectionError: ")
    assert "Traceback" not in console.getvalue()


def test_a_bug_keeps_its_traceback(console):
    logging.getLogger("tests.transient").warning("unexpected", exc_info=_raised(lambda: 1 / 0))
    assert "Traceback" in console.getvalue() and "ZeroDivisionError" in console.getvalue()


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_the_relay_logs_one_line_per_failed_pass_while_the_broker_is_unreachable(caplog, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    stop = threading.Event()
    relay = Relay()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    with caplog.at_level(logging.WARNING, logger="socialapp.events.relay"):
        thread.start()
        try:
            wait_for(lambda: len(caplog.records) >= 2, timeout=30, what="two failed passes")
        finally:
            stop.set()
            thread.join(timeout=30)
    failed = [r for r in caplog.records if "relay pass failed" in r.getMessage()]
    assert len(failed) >= 2 and all(r.exc_info is None for r in failed)
