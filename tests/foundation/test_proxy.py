"""docker/nginx.conf, run for real: Debian's nginx (scripts/services installs it) in front of two
live upstreams that say which side they are, on free local ports. Only the addresses and the
log/temp paths of the committed file are rewritten, so the routing under test is the shipped one:
GET/HEAD/OPTIONS to queries, every other method to commands, admin/static/auth to commands, the
streams to streaming (unbuffered, the WebSocket upgrade passed on). Last, two live servers of the
Django application itself behind it: a query, its 304 and a command."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests

from tests.support import wait_for

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (scripts/services up installs Debian's nginx-light)"
)


TRICKLE_SEEN = threading.Event()


def _side(name: str) -> type[BaseHTTPRequestHandler]:
    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path.endswith("/trickle"):
                self._trickle()
                return
            body = json.dumps(
                {
                    "side": name,
                    "method": self.command,
                    "path": self.path,
                    "host": self.headers.get("Host"),
                    "forwarded_for": self.headers.get("X-Forwarded-For"),
                    "upgrade": self.headers.get("Upgrade"),
                    "connection": self.headers.get("Connection"),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Side", name)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _trickle(self) -> None:
            """One SSE event, then nothing until the test has seen it through the proxy (a
            buffering proxy would hold it back: the test would time out)."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("X-Side", name)
            self.end_headers()
            self.wfile.write(b"event: update\ndata: {}\n\n")
            self.wfile.flush()
            TRICKLE_SEEN.wait(timeout=20)
            self.close_connection = True

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_PROPFIND = _answer

        def log_message(self, *args: object) -> None:
            pass

    return Echo


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rewrite(conf: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert conf.count(old) == 1, f"docker/nginx.conf no longer has exactly one {old!r}: update this test"
        conf = conf.replace(old, new)
    return conf


@contextmanager
def running_nginx(tmp: Path, commands_port: int, queries_port: int, streaming_port: int | None = None) -> Iterator[str]:
    """The committed docker/nginx.conf on a free port in front of these upstreams; yields its URL."""
    port = _free_port()
    streaming_port = streaming_port or _free_port()  # nothing listens there: streams answer 502
    conf = _rewrite(
        (REPO / "docker" / "nginx.conf").read_text(),
        {
            "worker_processes auto;": "worker_processes 1;",
            "error_log /dev/stderr warn;": f"error_log {tmp}/error.log warn;",
            "pid /tmp/nginx.pid;": f"pid {tmp}/nginx.pid;",
            "access_log /dev/stdout;": f"access_log {tmp}/access.log;",
            "client_body_temp_path /tmp/nginx-client-body;": f"client_body_temp_path {tmp}/body;",
            "proxy_temp_path /tmp/nginx-proxy;": f"proxy_temp_path {tmp}/proxy;",
            "server web-commands:8000;": f"server 127.0.0.1:{commands_port};",
            "server web-queries:8000;": f"server 127.0.0.1:{queries_port};",
            "server web-streaming:8000;": f"server 127.0.0.1:{streaming_port};",
            "listen 8000;": f"listen 127.0.0.1:{port};",
        },
    )
    path = tmp / "nginx.conf"
    path.write_text(conf)
    assert NGINX is not None
    base = [NGINX, "-p", str(tmp), "-c", str(path)]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*base, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url) or process.poll() is not None, timeout=15, what="nginx listening")
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def serving(servers: dict[str, Any]) -> Iterator[None]:
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[str]:
    servers = {
        name: ThreadingHTTPServer(("127.0.0.1", 0), _side(name)) for name in ("commands", "queries", "streaming")
    }
    with (
        serving(servers),
        running_nginx(
            tmp_path_factory.mktemp("nginx"),
            servers["commands"].server_port,
            servers["queries"].server_port,
            servers["streaming"].server_port,
        ) as url,
    ):
        yield url


def _answers(url: str) -> bool:
    try:
        requests.get(f"{url}/healthz", timeout=1)
    except requests.ConnectionError:
        return False
    return True


@pytest.mark.parametrize(
    ("method", "path", "side"),
    [
        ("GET", "/api/socialapp/v1/feed?limit=2&cursor=a%2Fb", "queries"),
        ("GET", "/api/socialapp/v1/posts/42", "queries"),
        ("HEAD", "/api/socialapp/v1/users/ann", "queries"),
        ("OPTIONS", "/api/socialapp/v1/posts/42", "queries"),
        ("GET", "/api/socialapp/v1/me", "queries"),
        ("GET", "/healthz", "queries"),
        ("POST", "/api/socialapp/v1/posts", "commands"),
        ("PUT", "/api/socialapp/v1/posts/42/like", "commands"),
        ("PATCH", "/api/socialapp/v1/posts/42", "commands"),
        ("DELETE", "/api/socialapp/v1/posts/42", "commands"),
        ("POST", "/api/socialapp/v1/me/deactivate", "commands"),
        ("GET", "/api/socialapp/v1/auth/sessions", "commands"),
        ("GET", "/api/socialapp/v1/admin/aggregates/post/42/events", "commands"),
        ("POST", "/api/socialapp/v1/auth/token", "commands"),
        ("GET", "/admin/", "commands"),
        ("POST", "/admin/login/", "commands"),
        ("GET", "/static/admin/css/base.css", "commands"),
        ("POST", "/api/socialapp/v1/notifications/read", "queries"),
        ("GET", "/api/v1/timelines/home", "queries"),
        ("POST", "/api/v1/statuses", "commands"),
        ("PUT", "/api/v1/statuses/42", "commands"),
        ("POST", "/api/v1/notifications/clear", "queries"),
        ("POST", "/api/v1/notifications/42/dismiss", "queries"),
        ("POST", "/api/v1/markers", "queries"),
        ("GET", "/api/v1/blocks", "queries"),
        ("GET", "/api/v1/mutes", "queries"),
        ("GET", "/api/v1/follow_requests", "queries"),
        ("GET", "/api/v1/accounts/relationships", "queries"),
        ("POST", "/api/v1/accounts/42/block", "commands"),
        ("POST", "/api/v1/accounts/42/unmute", "commands"),
        ("POST", "/api/v1/follow_requests/42/authorize", "commands"),
        ("PATCH", "/api/v1/accounts/update_credentials", "commands"),
        ("PROPFIND", "/api/socialapp/v1/posts/42", "commands"),
        ("GET", "/api/v1/streaming/user", "streaming"),
        ("GET", "/api/v1/streaming/hashtag?tag=cats", "streaming"),
        ("GET", "/api/v1/streaming/health", "streaming"),
        ("GET", "/api/v1/streaming", "streaming"),
        ("GET", "/api/socialapp/v1/stream", "streaming"),
        ("GET", "/api/socialapp/v1/streams", "queries"),  # only the exact path
    ],
)
def test_each_method_reaches_its_side(proxy, method, path, side) -> None:
    response = requests.request(
        method, proxy + path, json={} if method in {"POST", "PUT", "PATCH"} else None, timeout=5
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Side"] == side
    if method != "HEAD":
        echoed = response.json()
        assert (echoed["method"], echoed["path"]) == (method, path)  # the URI passes unchanged


def test_proxy_keeps_the_host_and_appends_one_forwarded_hop(proxy) -> None:
    port = proxy.rsplit(":", 1)[1]
    echoed = requests.get(
        f"{proxy}/api/socialapp/v1/feed", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5
    ).json()
    assert echoed["host"] == f"127.0.0.1:{port}"
    # The client's own header is kept and the socket address appended: with API_TRUSTED_PROXIES=1
    # the app takes the last hop, which the client cannot forge.
    assert echoed["forwarded_for"] == "203.0.113.9, 127.0.0.1"


def test_streams_keep_the_host_and_forwarded_hop_and_pass_a_websocket_upgrade_on(proxy) -> None:
    port = proxy.rsplit(":", 1)[1]
    upgrade = requests.get(
        f"{proxy}/api/v1/streaming?stream=user",
        headers={"Connection": "Upgrade", "Upgrade": "websocket", "X-Forwarded-For": "203.0.113.9"},
        timeout=5,
    ).json()
    assert upgrade["side"] == "streaming"
    assert (upgrade["upgrade"], upgrade["connection"]) == ("websocket", "upgrade")
    assert upgrade["host"] == f"127.0.0.1:{port}" and upgrade["forwarded_for"] == "203.0.113.9, 127.0.0.1"
    plain = requests.get(f"{proxy}/api/v1/streaming/user", timeout=5).json()
    assert plain["upgrade"] is None and plain["connection"] is None  # SSE keeps the upstream connection reusable
    ours = requests.get(f"{proxy}/api/socialapp/v1/stream", timeout=5).json()
    assert ours["side"] == "streaming" and ours["host"] == f"127.0.0.1:{port}"


@pytest.mark.parametrize("path", ["/api/v1/streaming/user/trickle"])
def test_an_event_passes_the_proxy_while_the_stream_stays_open(proxy, path) -> None:
    """proxy_buffering off: the first event reaches the client while the upstream still holds the
    response open (a buffering proxy would sit on it until the upstream ended)."""
    TRICKLE_SEEN.clear()
    try:
        with requests.get(proxy + path, stream=True, timeout=5) as response:
            assert response.headers["X-Side"] == "streaming"
            first = next(response.iter_lines())
            assert first == b"event: update"
    finally:
        TRICKLE_SEEN.set()


def test_streams_wait_an_hour_for_the_next_byte() -> None:
    """The heartbeat (STREAMING_HEARTBEAT_SECONDS) keeps a live stream well inside the timeout."""
    from django.conf import settings

    conf = (REPO / "docker" / "nginx.conf").read_text()
    for location in ("location /api/v1/streaming {", "location = /api/socialapp/v1/stream {"):
        block = conf.split(location, 1)[1].split("}", 1)[0]
        assert "proxy_buffering off;" in block and "proxy_pass http://streaming;" in block, location
        assert "proxy_read_timeout 1h;" in block, location
    assert settings.STREAMING_HEARTBEAT_SECONDS < 3600


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _tagged(app: Callable[..., Any], side: str) -> Callable[..., Any]:
    """The Django application, saying which upstream answered (as two live servers would be told apart)."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("X-Side", side)], exc_info)

        return app(environ, start)

    return wrapped


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_the_real_api_through_the_proxy_split_and_revalidated(tmp_path) -> None:
    """Two live servers of the Django application behind the committed config: a query and its
    304 revalidation reach queries (ETag and X-Read-Lag pass through), a command reaches commands."""
    from django.core.wsgi import get_wsgi_application

    from tests.read.api_support import make_site

    site = make_site("ann")
    post_id = site.world.post(site.ids["ann"], "through the proxy")
    site.apply()
    app = get_wsgi_application()
    servers = {
        side: make_server("127.0.0.1", 0, _tagged(app, side), _ThreadingWSGIServer, _QuietHandler)
        for side in ("commands", "queries")
    }
    auth = {"Authorization": f"Bearer {site.tokens['ann']}"}
    with (
        serving(servers),
        running_nginx(tmp_path, servers["commands"].server_port, servers["queries"].server_port) as url,
    ):
        first = requests.get(f"{url}/api/socialapp/v1/posts/{post_id}", headers=auth, timeout=10)
        assert first.status_code == 200 and first.headers["X-Side"] == "queries"
        assert first.json()["body"] == "through the proxy"
        again = requests.get(
            f"{url}/api/socialapp/v1/posts/{post_id}",
            headers={**auth, "If-None-Match": first.headers["ETag"]},
            timeout=10,
        )
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == first.headers["ETag"] and again.headers["X-Read-Lag"]
        created = requests.post(f"{url}/api/socialapp/v1/posts", json={"body": "a command"}, headers=auth, timeout=10)
        assert created.status_code == 201 and created.headers["X-Side"] == "commands", created.text
        assert created.headers["X-Consistency-Token"]


@pytest.mark.django_db(transaction=True, databases=["default", "read"])
def test_the_real_streaming_server_through_the_proxy_sse_and_websocket(tmp_path) -> None:
    """The streaming server (uvicorn, devkit.streaming) behind the committed config: its health,
    an SSE stream whose first bytes arrive while it stays open, and Mastodon's WebSocket: the
    upgrade passes, and frames go both ways (a subscribe to an unknown stream is answered with
    Mastodon's error message on the socket)."""
    import websocket

    from devkit.processes import child_env
    from devkit.streaming import start_streaming_server
    from tests.read.api_support import make_site

    site = make_site("ann")
    site.apply()
    token = site.tokens["ann"]
    server = start_streaming_server(env=child_env(), name="proxy-streaming")
    echo = {name: ThreadingHTTPServer(("127.0.0.1", 0), _side(name)) for name in ("commands", "queries")}
    try:
        with (
            serving(echo),
            running_nginx(tmp_path, echo["commands"].server_port, echo["queries"].server_port, server.port) as url,
        ):
            health = requests.get(f"{url}/api/v1/streaming/health", timeout=5)
            assert (health.status_code, health.text) == (200, "OK")
            with requests.get(
                f"{url}/api/v1/streaming/user", headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=10
            ) as sse:
                assert sse.status_code == 200 and sse.headers["Content-Type"].startswith("text/event-stream")
                assert next(sse.iter_lines(chunk_size=1)).startswith(b":")  # the opening comment, unbuffered
            socket_ = websocket.create_connection(
                f"ws://{url.split('://', 1)[1]}/api/v1/streaming?access_token={token}", timeout=10
            )
            try:
                assert socket_.getstatus() == 101
                socket_.send(json.dumps({"type": "subscribe", "stream": "no-such-stream"}))
                answer = json.loads(socket_.recv())
                assert answer["error"] and answer["status"] in (400, 404), answer
            finally:
                socket_.close()
    finally:
        server.stop()
