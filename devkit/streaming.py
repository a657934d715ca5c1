"""The streaming server (`web-streaming`) as a real child process, for tests and benchmarks.

    server = start_streaming_server(env=child_env(STREAMING_HEARTBEAT_SECONDS="1"))
    httpx.get(server.url + "/api/v1/streaming/health")
    server.kill(); server.restart()      # a crash, then the process manager's restart
    server.stop()

It runs `uvicorn socialapp.streaming.asgi:application` on the caller's databases, vhost and
session cache (pass `devkit.processes.child_env(...)`, or a dict built the same way), on a free
port unless one is given; `restart()` keeps the port, so connected clients can reconnect to the
same URL. Its log is in .services/logs/tests/.
"""

from __future__ import annotations

import signal
import socket
import sys
import urllib.request

from devkit.processes import ChildProcess, child_env, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StreamingServer:
    """One uvicorn process serving socialapp.streaming on 127.0.0.1:<port>."""

    def __init__(self, *, port: int | None = None, env: dict[str, str] | None = None, name: str | None = None) -> None:
        self.port = port or free_port()
        self.env = dict(env if env is not None else child_env())
        self.name = name or f"streaming-{self.port}"  # the log file's name
        self.process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def log(self) -> str:
        return "" if self.process is None else self.process.log()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v1/streaming/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, *, timeout: float = 60.0) -> StreamingServer:
        args = [
            sys.executable, "-m", "uvicorn", "socialapp.streaming.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio",
            "--no-access-log", "--timeout-graceful-shutdown", "3",
        ]  # fmt: skip
        self.process = ChildProcess(args, self.env, self.name)
        process = self.process
        # Healthy, and consuming from the broker (so a stream opened now hears what is published).
        wait_for(
            lambda: process.proc.poll() is not None or (self.healthy() and "streaming: consuming" in process.log()),
            timeout=timeout,
            what=f"streaming server on port {self.port}",
        )
        if process.proc.poll() is not None:
            raise RuntimeError(f"the streaming server exited:\n{process.log()}")
        return self

    def stop(self) -> None:
        """SIGTERM (uvicorn closes its connections, then exits), reaped."""
        if self.process is not None:
            self.process.stop(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash; clients see their connections reset."""
        if self.process is not None:
            self.process.stop(signal.SIGKILL)

    def restart(self, *, timeout: float = 60.0) -> StreamingServer:
        """Stop (if running) and start again on the same port (a new log file section)."""
        self.stop()
        return self.start(timeout=timeout)

    def __enter__(self) -> StreamingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_streaming_server(
    *, port: int | None = None, env: dict[str, str] | None = None, name: str | None = None
) -> StreamingServer:
    """Start the streaming server and wait until its health endpoint answers."""
    return StreamingServer(port=port, env=env, name=name).start()
