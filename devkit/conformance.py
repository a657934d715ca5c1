"""`make conformance`: Mastodon.py 2.3.3's own test suite, run live against our server.

Mastodon.py's sdist ships its tests (pytest, with vcrpy cassettes recorded against a Mastodon
development server). With pytest-recording's `--disable-recording` they send real requests, to
`http://localhost:3000`, as the fixed users and tokens of its `tests/setup.sql`. This script:

1. gets the sdist with `pip download` (the ordinary client; cached in .services/conformance/) and
   extracts a fresh copy of it per run (patching `localhost:3000` only if another port is chosen);
2. makes a venv of its own for the suite's pytest plugins (requirements-conformance.txt), so
   vcrpy and friends never load into our own test suite;
3. recreates databases, a RabbitMQ vhost, an index prefix and a cache prefix of its own
   (`conformance_*`; development data is never touched), migrates, and seeds the equivalents of
   setup.sql through our services (`seed()`);
4. starts gunicorn on the port (default 3000), the relay, one worker for every projector and
   one for the default queue (the fan-out chunks), as `make run` does;
5. runs the selected test modules (CONFORMANCE_TESTS, space-separated; default `MODULES`) with
   `--disable-recording`, and writes a summary per test to .services/conformance/results.md
   and results.json (and the JUnit XML beside them).

It exits 0 when the mechanics worked, whatever the tests' outcome (the summary is the result);
CONFORMANCE_STRICT=1 makes any failed test an exit status of 1. docs/mastodon-conformance.md
says what is run and what the outcomes mean.

    DJANGO_SETTINGS_MODULE=socialapp.settings.dev .venv/bin/python -m devkit.conformance
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

VERSION = "2.3.3"
PORT = int(os.environ.get("CONFORMANCE_PORT", "3000"))
STREAMING_PORT = PORT + 1  # the streaming server, advertised by the instance documents
PREFIX = "conformance"
VHOST = "socialapp_conformance"
MODULES = [
    "tests/test_instance.py",
    "tests/test_create_app.py",
    "tests/test_auth.py",
    "tests/test_account.py",
    "tests/test_status.py",
    "tests/test_timeline.py",
    "tests/test_pagination.py",
    "tests/test_notifications.py",
    "tests/test_search.py",
    "tests/test_errors.py",
    "tests/test_streaming.py",
    "tests/test_streaming_websocket.py",
]
REPO = Path(__file__).resolve().parent.parent
WORK = REPO / ".services" / "conformance"
TEST_TIMEOUT = 60  # seconds per test: a client stuck on a missing route fails instead of hanging

# tests/setup.sql, as our data: the users (the password of setup.sql's bcrypt hash is the one
# test_auth.py logs in with), the app, the fixed tokens and whose they are (token 2 is user id 1
# of a fresh Mastodon, its `admin`, with the admin scopes).
PASSWORD = "5fc638e0e53eafd9c4145b6bb852667d"
USERS = [  # username, e-mail, staff
    ("admin", "admin@localhost", True),
    ("admin2", "zerocool@example.com", True),
    ("mastodonpy_test", "mastodonpy_test@localhost", False),
    ("mastodonpy_test_2", "mastodonpy_test_2@localhost", False),
]
CLIENT_ID = "__MASTODON_PY_TEST_CLIENT_ID"
CLIENT_SECRET = "__MASTODON_PY_TEST_CLIENT_SECRET"
OOB = "urn:ietf:wg:oauth:2.0:oob"
APP_SCOPES = "read write follow push admin:read admin:write"
TOKENS = [  # secret, username, scopes
    ("__MASTODON_PY_TEST_ACCESS_TOKEN", "mastodonpy_test", "read write follow push"),
    ("__MASTODON_PY_TEST_ACCESS_TOKEN_3", "mastodonpy_test_2", "read write follow push"),
    ("__MASTODON_PY_TEST_ACCESS_TOKEN_2", "admin", "read write follow push admin:read admin:write"),
]


def log(message: str) -> None:
    print(f"conformance: {message}", flush=True)


# --------------------------------------------------------------------------- the suite
def sdist_tests() -> Path:
    """A fresh extracted copy of Mastodon.py's sdist (downloaded once with pip)."""
    downloads = WORK / "downloads"
    archive = next(downloads.glob(f"mastodon_py-{VERSION}.tar.gz"), None) if downloads.exists() else None
    if archive is None:
        log(f"pip download Mastodon.py=={VERSION} (sdist)")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-binary", ":all:",
             "--no-deps", f"Mastodon.py=={VERSION}", "-d", str(downloads)],
            check=True,
        )  # fmt: skip
        archive = next(downloads.glob(f"mastodon_py-{VERSION}.tar.gz"))
    run_dir = WORK / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(run_dir, filter="data")
    root = run_dir / f"mastodon_py-{VERSION}"
    if PORT != 3000:  # the suite hard-codes its server; cassette-only tests then cannot match
        for path in (root / "tests").glob("*.py"):
            text = path.read_text()
            if "localhost:3000" in text:
                path.write_text(text.replace("localhost:3000", f"localhost:{PORT}"))
    return root


def suite_python() -> Path:
    """The venv of the suite's own plugins, made once and kept while its requirements match."""
    venv = WORK / "venv"
    requirements = REPO / "requirements-conformance.txt"
    stamp = venv / ".installed"
    if not (stamp.exists() and stamp.read_text() == requirements.read_text()):
        log("venv for the suite (requirements-conformance.txt)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r", str(requirements)],
            check=True,
        )
        stamp.write_text(requirements.read_text())
    return venv / "bin" / "python"


# --------------------------------------------------------------------------- our side
def configure_environment() -> None:
    """Our own databases, vhost, indexes and cache keys, before Django starts (the children
    inherit them through child_env); throttles out of the way of one client doing everything."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialapp.settings.dev")
    os.environ["ELASTICSEARCH_INDEX_PREFIX"] = PREFIX
    os.environ["CACHE_KEY_PREFIX"] = PREFIX
    broker = os.environ.get("CELERY_BROKER_URL", "amqp://socialapp:socialapp@127.0.0.1:5672/socialapp")
    os.environ["CELERY_BROKER_URL"] = broker.rsplit("/", 1)[0] + "/" + VHOST
    for scope in ("ANON", "USER", "LOGIN", "LOGIN_USERNAME", "REGISTER", "REGISTER_USERNAME"):
        os.environ[f"API_THROTTLE_{scope}"] = "100000/min"


def fresh_stores() -> None:
    """Recreate `conformance_socialapp` and `conformance_socialapp_read` (migrated like test
    databases), the vhost, the search indexes and this prefix's cache keys."""
    from django.core.cache import cache
    from django.db import connections

    from devkit.vhosts import recreate_vhost
    from socialapp.read.search import indexes

    for alias in ("default", "read"):
        connection = connections[alias]
        connection.settings_dict["TEST"]["NAME"] = f"{PREFIX}_{connection.settings_dict['NAME']}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    recreate_vhost(VHOST)
    indexes.drop_all()
    indexes.ensure_indexes()
    client = cache._cache.get_client(write=True)
    stale = list(client.scan_iter(match=f"{PREFIX}:*", count=1000))
    if stale:
        client.delete(*stale)


def known_scopes(scopes: str) -> str:
    """setup.sql's scopes that our vocabulary has (socialapp.common.scopes.KNOWN): we serve no
    admin API, so `admin:read admin:write` are dropped (the suite's admin tests are not run)."""
    from socialapp.common import scopes as rules

    known = getattr(rules, "KNOWN", None)
    return " ".join(s for s in scopes.split() if known is None or s in known)


def seed_application():
    """The app of setup.sql: client id and secret fixed, the OOB redirect, its scopes.

    Registered by the OAuth service (`app_create`), then re-keyed to the fixed client id and
    secret, as setup.sql inserts them (only this seeding chooses its own credentials). Without the
    OAuth package (before the OAuth branch is merged) there is no app: the suite's token fixtures
    still authenticate, but client-credential calls (revocation, log_in) cannot find the app.
    """
    import importlib.util

    from socialapp.common.sessions import hash_token

    if importlib.util.find_spec("socialapp.write.oauth") is None:
        log("no socialapp.write.oauth (OAuth not merged): the fixed application is not seeded")
        return None
    from socialapp.write.oauth.models import Application
    from socialapp.write.oauth.services import app_create

    app, _ = app_create(name="Mastodon.py test suite", redirect_uris=OOB, scopes=known_scopes(APP_SCOPES))
    Application.objects.filter(pk=app.pk).update(client_id=CLIENT_ID, client_secret_hash=hash_token(CLIENT_SECRET))
    app.refresh_from_db()
    return app


def seed_token(user, secret: str, scopes: str, app) -> None:
    """A session for `user` whose secret is setup.sql's fixed token, with its scopes and app.

    The session is made by the account service (token_issue: row, scope, application, expiry,
    cache record), then re-keyed to the hash of the fixed secret, and its cache record
    republished by the service's own reconciliation (session_sync publishes a live session that
    has no record). Only this seeding writes a key hash of its own choosing, as setup.sql inserts
    its tokens. Before OAuth is merged, token_issue takes no scope or application: the session
    then has every scope (socialapp.common.scopes).
    """
    import inspect

    from socialapp.common.sessions import hash_token
    from socialapp.write.accounts.models import AuthToken
    from socialapp.write.accounts.services import forget_sessions_now, session_sync, token_issue

    accepted = inspect.signature(token_issue).parameters
    extra = {}
    if "scope" in accepted:
        extra["scope"] = known_scopes(scopes)
    if "application" in accepted and app is not None:
        extra["application"] = app
    token_issue(user=user, label="Mastodon.py test suite", **extra)
    token = AuthToken.objects.filter(user=user).latest("created_at", "id")
    random_hash = token.key_hash
    AuthToken.objects.filter(pk=token.pk).update(key_hash=hash_token(secret))
    forget_sessions_now([random_hash])
    session_sync()


def seed() -> dict[str, int]:
    """setup.sql's users, app and tokens; returns the user ids by username."""
    from socialapp.write.accounts.services import user_register

    users = {}
    for username, email, staff in USERS:
        users[username] = user_register(
            username=username, email=email, password=PASSWORD, is_staff=staff, is_superuser=username == "admin"
        )
    app = seed_application()
    for secret, username, scopes in TOKENS:
        seed_token(users[username], secret, scopes, app)
    # Not reproduced (no such state here): mastodonpy_test's `locked`, locales, discoverable /
    # indexable flags, open registrations, e-mail settings, current_sign_in_at.
    return {name: user.pk for name, user in users.items()}


@contextmanager
def running_server() -> Iterator[None]:
    """gunicorn on PORT, the streaming server on STREAMING_PORT (advertised as the instance's
    streaming API, as Mastodon advertises its own), the relay, a worker for every projector and
    one for the default queue."""
    import requests

    from devkit.processes import ChildProcess, celery_worker, child_env, start_relay, start_worker, wait_for
    from socialapp.events.projector import REGISTRY

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            raise SystemExit(f"conformance: port {PORT} is taken; set CONFORMANCE_PORT")
    from devkit.streaming import start_streaming_server

    env = child_env(
        DATABASE_CONN_MAX_AGE="60",
        SEARCH_HASHTAG_PUSH_SECONDS="0",
        STREAMING_API_URL=f"ws://localhost:{STREAMING_PORT}",
        STREAMING_WEB_URL=f"http://localhost:{PORT}",
    )
    projectors = sorted(n for n, p in REGISTRY.items() if not type(p).__module__.startswith(("tests.", "bench.")))
    with ExitStack() as stack:
        web = ChildProcess(
            [str(Path(sys.executable).parent / "gunicorn"), "socialapp.wsgi", "-c", "python:socialapp.gunicorn_conf", "--bind", f"127.0.0.1:{PORT}",
             "--workers", "2", "--threads", "4", "--access-logfile", "-"],
            env, "conformance-web",
        )  # fmt: skip
        stack.callback(web.stop)
        streaming = start_streaming_server(port=STREAMING_PORT, env=env, name="conformance-streaming")
        stack.callback(streaming.stop)
        relay = start_relay(name="conformance-relay", env=env)
        stack.callback(relay.stop)
        worker = start_worker(projectors, name="conformance-projectors", env=env)
        stack.callback(worker.stop)
        chunks = celery_worker(["celery"], name="conformance-fanout", extra=["-P", "solo"], env=env)
        stack.callback(chunks.stop)
        wait_for(
            lambda: requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=5).status_code == 200,
            timeout=60,
            what=f"gunicorn on {PORT} (log: {web.log_path})",
        )
        log(f"server on http://localhost:{PORT}; logs in {web.log_path.parent}")
        check_seeded_tokens()
        yield


def check_seeded_tokens() -> None:
    """Each fixed token is a live session on both sides (our own API's `me`: the query side,
    from the cache record) before the suite starts, so a failure below is the API's, not the
    seeding's."""
    import requests

    from devkit.processes import wait_for

    def me(secret: str) -> requests.Response:
        url = f"http://127.0.0.1:{PORT}/api/socialapp/v1/me"
        return requests.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=10)

    for secret, username, _ in TOKENS:
        # 401 is a seeding failure at once; 404 only means the profiles projector has not applied
        # the registration yet (the pipeline just started): wait for it, bounded.
        wait_for(
            lambda secret=secret: me(secret).status_code in (200, 401),
            timeout=60,
            what=f"the profile of {username} in the read model",
        )
        answer = me(secret)
        if answer.status_code != 200 or answer.json().get("username") != username:
            raise SystemExit(
                f"conformance: seeded token of {username} refused: {answer.status_code} {answer.text[:200]}"
            )
    log("seeded tokens authenticate on the query side")


# --------------------------------------------------------------------------- run and report
def run_suite(python: Path, root: Path, modules: list[str]) -> Path:
    junit = WORK / "junit.xml"
    junit.unlink(missing_ok=True)
    args = [
        str(python), "-m", "pytest", *modules,
        "-o", "addopts=",  # the sdist's own addopts want pytest-cov
        "-p", "no:cacheprovider", "--disable-recording", f"--timeout={TEST_TIMEOUT}",
        "-q", "-rN", "--tb=line", "--show-capture=no", f"--junitxml={junit}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE", "PYTHON"))}
    output = WORK / "pytest.log"  # the suite logs every request and body (its DEBUG_REQUESTS)
    log(f"pytest {' '.join(modules)} --disable-recording (output: {output})")
    with open(output, "w") as out:
        subprocess.run(args, cwd=root, env=env, check=False, stdout=out, stderr=subprocess.STDOUT)
    tail = output.read_text(errors="replace").strip().splitlines()[-1:]
    log(f"pytest: {tail[0] if tail else '(no output)'}")
    return junit


CLIENT_ONLY = re.compile(r"\bmocker\b|requests_mock|use_cassette|Mock\(")
# Replays recorded WebSocket frames (the suite's `websocket_cassette` fixture, record mode "once"):
# no socket is opened to us, and the frames carry the recording's status ids.
REPLAYING_FIXTURES = {"websocket_cassette"}


def client_only_tests(root: Path) -> set[str]:
    """Tests that never reach the server: they mock requests, replay a cassette of their own
    (vcr.use_cassette with record_mode none, a WebSocket cassette), or name no server at all (no
    `api...` fixture, no base URL: the stream parser's tests feed it lines), so their outcome
    says nothing about us."""
    found = set()
    for path in (root / "tests").glob("test_*.py"):
        source = path.read_text()
        for node in ast.parse(source).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
                continue
            args = {a.arg for a in node.args.args}
            body = ast.get_source_segment(source, node) or ""
            if (
                CLIENT_ONLY.search(body)
                or args & REPLAYING_FIXTURES
                or not (any(a.startswith("api") for a in args) or "api_base_url" in body or "localhost" in body)
            ):
                found.add(f"{path.stem}::{node.name}")
    return found


def summarise(junit: Path, root: Path) -> dict[str, object]:
    """Outcome and first line of the reason for every test, from pytest's JUnit XML, and whether
    the test reaches the server at all (`live`) or only exercises the client (`client-only`)."""
    offline = client_only_tests(root)
    results = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, why = "passed", ""
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind]
                why = (
                    (node.get("message") or node.text or "").strip().splitlines()[0][:200]
                    if (node.get("message") or node.text)
                    else ""
                )
                break
        module = case.get("classname", "").removeprefix("tests.")
        test = f"{module}::{case.get('name')}"
        kind = "client-only" if test.split("[")[0] in offline else "live"
        results.append({"test": test, "kind": kind, "outcome": outcome, "why": why})
    counts: dict[str, int] = {}
    for r in results:
        key = f"{r['kind']} {r['outcome']}"
        counts[key] = counts.get(key, 0) + 1
    return {"mastodon_py": VERSION, "port": PORT, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "counts": counts, "tests": results}  # fmt: skip


def write_summary(summary: dict[str, object]) -> None:
    (WORK / "results.json").write_text(json.dumps(summary, indent=1))
    lines = [
        f"# Mastodon.py {VERSION} test suite against socialapp ({summary['finished']})",
        "",
        "counts: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items())),  # type: ignore[union-attr]
        "",
        "| test | kind | outcome | why |",
        "|---|---|---|---|",
    ]
    for r in summary["tests"]:  # type: ignore[union-attr]
        why = re.sub(r"\s+", " ", r["why"]).replace("|", "\\|")
        lines.append(f"| `{r['test']}` | {r['kind']} | {r['outcome']} | {why} |")
    (WORK / "results.md").write_text("\n".join(lines) + "\n")
    log(f"{summary['counts']}; summary in {WORK / 'results.md'} and results.json")


def main() -> int:
    configure_environment()
    import django

    django.setup()
    WORK.mkdir(parents=True, exist_ok=True)
    modules = os.environ.get("CONFORMANCE_TESTS", "").split() or MODULES
    root = sdist_tests()
    python = suite_python()
    log("fresh databases, vhost, indexes and cache keys (conformance_*)")
    fresh_stores()
    log(f"seeded {seed()}")
    with running_server():
        junit = run_suite(python, root, modules)
    if not junit.exists():
        log("pytest wrote no results (see its output above)")
        return 2
    summary = summarise(junit, root)
    write_summary(summary)
    counts = summary["counts"]
    failed = sum(n for k, n in counts.items() if k.endswith(("failed", "error")))  # type: ignore[union-attr]
    return 1 if failed and os.environ.get("CONFORMANCE_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
