"""The fault injection point itself (socialapp.events.faults): inert unless armed, holds a real
process where armed, refuses names it does not know. The faults it serves are in test_faults.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from socialapp.events import faults
from tests.support import wait_for

HOLD = "from socialapp.events import faults; faults.fault_point(faults.RELAY_HOLD_BEFORE_MARK, '3,4'); print('ran on')"


def _run(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", HOLD], env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)


def test_an_unarmed_point_does_nothing(monkeypatch) -> None:
    monkeypatch.delenv(faults.ENV, raising=False)
    faults.fault_point(faults.RELAY_HOLD_BEFORE_MARK, "1")  # returns at once


def test_an_armed_point_writes_its_file_and_holds_until_killed(tmp_path: Path) -> None:
    held = tmp_path / "held"
    child = _run(faults.fault_env(**{faults.RELAY_HOLD_BEFORE_MARK: str(held)}))
    try:
        wait_for(held.exists, timeout=30, what="the child to reach the fault point")
        wait_for(lambda: held.read_text() == "3,4", timeout=5, what="the detail written")
        assert child.poll() is None, "held, not returned"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    again = _run(faults.fault_env(**{faults.RELAY_HOLD_BEFORE_MARK: str(held)}))
    out, _ = again.communicate(timeout=30)
    assert out.strip() == "ran on", "the file exists: a restarted process runs on"


def test_unknown_point_names_are_refused(monkeypatch) -> None:
    with pytest.raises(ValueError, match=r"relay\.hold_before_mrk"):
        faults.fault_env(**{"relay.hold_before_mrk": "/tmp/x"})
    monkeypatch.setenv(faults.ENV, "relay.hold_before_mrk=/tmp/x")
    with pytest.raises(ValueError, match="unknown fault point"):
        faults.armed()
