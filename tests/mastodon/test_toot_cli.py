"""toot 0.52.1's command line, run as a real subprocess against the live server
(tests/mastodon/live.py), each user with a config directory of their own (HOME and
XDG_CONFIG_HOME in a temporary folder), so nothing of the machine's own toot setup is read.

toot is stricter than Mastodon.py in places: it finds the instance through `/api/v1/instance`
(no trailing slash) and keys its config by the instance's `uri`, registers its app with a JSON
body, logs in with the e-mail in the password grant's `username`, finds accounts through
`/api/v2/search?type=accounts&resolve=true` and matches `acct`, and builds typed objects from
statuses and accounts (a missing `created_at` crashes it). Human-readable output is checked as
well as `--json`, because the former is where toot parses our entities.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mastodon.clients import PASSWORD, make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases=["default", "read"])]


class Toot:
    """`python -m toot ...` as one user: their own config directory, no terminal, no colour."""

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        }

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "toot", "--no-color", *args],
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        if ok:
            assert done.returncode == 0, f"toot {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str):
        return json.loads(self.run(*args, "--json").stdout)

    def config(self) -> dict:
        return json.loads((Path(self.env["XDG_CONFIG_HOME"]) / "toot" / "config.json").read_text())


def test_toot_cli_against_the_live_server(live_stack, tmp_path) -> None:
    make_user("alice")
    make_user("bob")
    alice = Toot(tmp_path / "alice")
    bob = Toot(tmp_path / "bob")

    for who, toot in (("alice", alice), ("bob", bob)):
        login = toot.run(
            "login_cli", "--instance", live_stack.url, "--email", f"{who}@example.org", "--password", PASSWORD
        )
        assert "Successfully logged in" in login.stdout, login.stdout
    config = alice.config()
    (instance,) = config["apps"]  # keyed by the instance's uri (host:port)
    assert config["apps"][instance]["base_url"] == live_stack.url
    assert config["active_user"] == f"alice@{instance}"

    assert "@alice" in alice.run("whoami").stdout
    assert alice.json("whoami")["username"] == "alice"

    status = alice.json("post", "Hello from toot #tootcli")
    assert "Hello from toot" in status["content"] and status["account"]["username"] == "alice"
    posted = alice.run("post", "A second toot")
    assert "Toot posted:" in posted.stdout, posted.stdout  # not "Toot scheduled for"

    live_stack.wait(
        lambda: "Hello from toot" in alice.run("timeline", "--once", "--count", "5").stdout,
        what="the toot in `toot timeline`",
    )
    bob_status = bob.json("post", "bob's toot")

    def found() -> bool:
        result = alice.json("search", "tootcli")
        return status["id"] in [s["id"] for s in result["statuses"]] and "tootcli" in [
            t["name"] for t in result["hashtags"]
        ]

    live_stack.wait(found, what="the toot and its hashtag in `toot search`")
    assert "tootcli" in alice.run("search", "tootcli").stdout
    live_stack.wait(
        lambda: "bob" in [a["acct"] for a in alice.json("search", "bob", "--type", "accounts")["accounts"]],
        what="bob in account search",
    )

    relationship = alice.json("follow", "bob")  # toot finds bob through search, then follows his id
    assert relationship["following"] is True
    assert "You are now following" in alice.run("follow", "bob").stdout  # again: idempotent
    live_stack.wait(lambda: "bob" in [a["acct"] for a in alice.json("following")], what="bob in `toot following`")
    live_stack.wait(
        lambda: bob_status["id"] in alice.run("timeline", "--once", "--count", "10").stdout,
        what="bob's toot in alice's home timeline after the follow",
    )
    assert alice.json("unfollow", "bob")["following"] is False
    live_stack.wait(lambda: alice.json("following") == [], what="an empty `toot following`")
