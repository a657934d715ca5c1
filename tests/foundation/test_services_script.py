"""scripts/services as a newcomer meets it: a first `make test` must show no error that isn't one.

RabbitMQ's tools run an Erlang VM as the `rabbitmq` user; started from a directory that user
cannot read (a checkout under /root, a private temporary folder), the VM printed dozens of
`erl_prim_loader ... eacces` reports while the broker came up. The script now works from `/`.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.support import REPO

pytestmark = [pytest.mark.slow, pytest.mark.faults]

SERVICES = str(REPO / "scripts" / "services")


def test_rabbitmq_starts_quietly_from_a_directory_its_user_cannot_read(tmp_path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)  # root's; the rabbitmq user can't even list it
    subprocess.run([SERVICES, "stop", "rabbitmq"], cwd=private, check=True, capture_output=True, timeout=120)
    try:
        started = subprocess.run(
            [SERVICES, "start", "rabbitmq"], cwd=private, capture_output=True, text=True, timeout=300, check=False
        )
    finally:  # whatever happened, leave the broker running for the rest of the suite
        subprocess.run([SERVICES, "start", "rabbitmq"], cwd=REPO, capture_output=True, timeout=300, check=False)
    output = started.stdout + started.stderr
    assert started.returncode == 0, output[-3000:]
    assert "eacces" not in output, output[-3000:]
    assert "erl_prim_loader" not in output, output[-3000:]
