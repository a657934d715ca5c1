"""Language detection in a process of its own, for the search worker's pushes.

Why a process: lingua (Rust) holds the GIL for the whole of a detection, and detection is most of
what building a post's document costs (language.py). In the worker's process it therefore stops
the worker's other thread, which applies the next batch while a push runs (pusher.py): the two
take turns on one core. Sent here, a push's detections run on another core while the worker's
threads go on, and the pusher thread waits for the answers without the GIL.

The process is `python -m socialapp.read.search.detector <languages>`, started on first use (not
a multiprocessing fork: the worker has threads and open connections; not a multiprocessing
spawn either, which re-imports the parent's main module). It builds its detector and loads the
models at start, then answers one request a line on stdin (orjson: texts, languages, threshold)
with one line on stdout (the codes), and exits when stdin closes, that is with its parent. It
imports neither Django's settings nor anything else of the project but language.py.

Whatever goes wrong with it (it died, it does not answer within DETECTOR_TIMEOUT seconds, it
answers nonsense) makes `detect` return None: the caller detects in process, as before, and the
next call starts a fresh process.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

#: Seconds to wait for a batch's answers before detecting in process instead (a batch takes
#: milliseconds; starting the process and loading the models about a second).
DETECTOR_TIMEOUT = 30.0

_ROOT = Path(__file__).resolve().parents[3]
_lock = threading.Lock()  # one request in flight: the answers come back in order
_process: subprocess.Popen[bytes] | None = None


def detect(texts: list[str], codes: tuple[str, ...], min_confidence: float) -> list[str | None] | None:
    """language.detect_codes(texts, codes, min_confidence) answered by the detector process, or
    None if it could not answer."""
    global _process
    with _lock:
        try:
            if _process is None or _process.poll() is not None:
                _process = subprocess.Popen(
                    _command(codes),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    cwd=_ROOT,  # where `socialapp` is importable from, whatever the caller's directory
                )
            assert _process.stdin is not None and _process.stdout is not None
            _process.stdin.write(orjson.dumps({"texts": texts, "codes": codes, "min": min_confidence}) + b"\n")
            _process.stdin.flush()
            found = orjson.loads(_read_line(_process.stdout.fileno(), time.monotonic() + DETECTOR_TIMEOUT))
            if not isinstance(found, list) or len(found) != len(texts):
                raise ValueError(f"{len(found) if isinstance(found, list) else type(found).__name__} answers")
            return found
        except Exception as exc:
            log.warning("search: language detector process failed (%s: %s); detecting in process",
                        type(exc).__name__, exc)  # fmt: skip
            _stop()
            return None


def _command(codes: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", __name__, *codes]


def _read_line(fd: int, deadline: float) -> bytes:
    """One line from the pipe `fd` (answers are one line each, never more in flight)."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"no answer within {DETECTOR_TIMEOUT:.0f}s")
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise EOFError("the detector process exited")
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


def _stop() -> None:
    global _process
    process, _process = _process, None
    if process is not None:
        process.kill()
        process.wait()


def shutdown() -> None:
    """Stop the detector process (tests; it also exits by itself with its parent)."""
    with _lock:
        _stop()


def main(codes: list[str]) -> None:
    """The detector process: warm up, then one answer line per request line until stdin closes."""
    import signal

    from socialapp.read.search import language

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the worker: stdin's end stops this one
    language.detect_codes(["warm up the models"], tuple(codes), 1.0)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        request = orjson.loads(line)
        found = language.detect_codes(request["texts"], tuple(request["codes"]), request["min"])
        out.write(orjson.dumps(found) + b"\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
