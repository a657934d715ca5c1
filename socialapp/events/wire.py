"""AMQP 0-9-1 frames written and read in bulk, under py-amqp's connection.

py-amqp spends per message what the pipeline can spend per batch. Publishing (`basic_publish`):
an `amqp.Message`, its property serialisation, a poll of the socket for `connection.blocked`
(two `settimeout` calls and a failing `recv`) and one `sendall`. Consuming (`read_frame`): three
`recv` calls per frame (header, payload, end octet), three frames per delivery. Measured with
`python -m bench.pipeline profile`, these were most of the relay's and the worker's CPU per event.

`PublishFrames` builds the frames of a whole batch (byte for byte what py-amqp sends:
tests/events/test_wire.py) and writes them with one `sendall`; `BulkFrameReader` replaces a
connection's `read_frame` with one that `recv`s up to 64 kB at a time and cuts frames out of its
buffer. The connection, channels, confirms, heartbeats and everything else stay py-amqp's.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import struct
from collections.abc import Iterable
from typing import Any

#: Basic property flags (class 60) that `PublishFrames` sends: content-type, content-encoding,
#: headers, delivery-mode, message-id, type.
_PROPERTY_FLAGS = (1 << 15) | (1 << 14) | (1 << 13) | (1 << 12) | (1 << 7) | (1 << 5)
_FRAME_END = b"\xce"
_FRAME_HEADER = struct.Struct(">BHI")
#: How much one `recv` may take: many deliveries' frames at once under load.
READ_SIZE = 65536


def _shortstr(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > 255:
        raise ValueError(f"AMQP short string longer than 255 bytes: {value[:40]!r}...")
    return bytes((len(raw),)) + raw


class PublishFrames:
    """`basic.publish` frames for many messages, written to the socket with one `sendall`:
    persistent (`delivery_mode` 2), `mandatory`, JSON, a `message_id`, a `type`, empty headers
    (what the relay used to send through `amqp.Message`)."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel  # a py-amqp channel (confirm mode is the caller's business)
        self._publish_args: dict[tuple[str, str], bytes] = {}
        self._prefix = _shortstr("application/json") + _shortstr("utf-8") + b"\x00\x00\x00\x00\x02"

    def _method(self, exchange: str, routing_key: str) -> bytes:
        key = (exchange, routing_key)
        method = self._publish_args.get(key)
        if method is None:  # class 60 method 40, reserved short, exchange, routing key, mandatory bit
            method = struct.pack(">HHH", 60, 40, 0) + _shortstr(exchange) + _shortstr(routing_key) + b"\x01"
            self._publish_args[key] = method
        return method

    def build(self, messages: Iterable[tuple[str, str, bytes, str, str]]) -> bytearray:
        """Frames of (exchange, routing_key, body, message_id, type) messages, in order."""
        channel_id = self.channel.channel_id
        chunk = self.channel.connection.frame_max - 8
        out = bytearray()
        pack = struct.pack
        for exchange, routing_key, body, message_id, type_ in messages:
            method = self._method(exchange, routing_key)
            header = (
                pack(">HHQH", 60, 0, len(body), _PROPERTY_FLAGS)
                + self._prefix
                + _shortstr(message_id)
                + _shortstr(type_)
            )
            out += pack(">BHI", 1, channel_id, len(method)) + method + _FRAME_END
            out += pack(">BHI", 2, channel_id, len(header)) + header + _FRAME_END
            for start in range(0, len(body), chunk):
                part = body[start : start + chunk]
                out += pack(">BHI", 3, channel_id, len(part)) + part + _FRAME_END
        return out

    def write(self, frames: bytes | bytearray, count: int) -> None:
        """Send built frames (`count` messages). Like py-amqp, first read anything the broker sent
        meanwhile (`connection.blocked`, confirms), once per call rather than once per message."""
        connection = self.channel.connection
        if not connection or not self.channel.is_open:
            from amqp.exceptions import RecoverableConnectionError

            raise RecoverableConnectionError("publish: channel or connection closed")
        with contextlib.suppress(TimeoutError):
            connection.drain_events(timeout=0)
        connection.transport.write(frames)
        connection.bytes_sent += count  # what py-amqp's heartbeat check looks at


class BulkFrameReader:
    """A py-amqp TCP transport's `read_frame`, reading the socket in bulk.

    Installed on a connection's transport (`install`); it honours the socket's timeout as the
    original does (py-amqp's `having_timeout` sets it around every read), consumes nothing from its
    buffer until a whole frame is there (so a timeout never loses a partial frame), and marks the
    transport disconnected on a socket error as the original does. `has_frame()` says whether a
    complete frame is already buffered: the socket then does not look readable, though there is
    something to process."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.sock = transport.sock
        self.buffer = bytearray(transport._read_buffer)  # what py-amqp had buffered, if anything
        transport._read_buffer = b""
        self.pos = 0
        self.dontwait = False  # inside having_timeout(0): recv with MSG_DONTWAIT
        self._having_timeout = transport.having_timeout
        self._nowait = _NoWait(self)

    def having_timeout(self, timeout: float | None) -> Any:
        """py-amqp's `having_timeout`, but a zero timeout on a blocking socket (Celery's event loop
        drains that way, once per method) costs no `settimeout` calls: the `recv` itself is
        non-blocking (MSG_DONTWAIT)."""
        if timeout == 0 and self.sock.gettimeout() is None:
            return self._nowait
        return self._having_timeout(timeout)

    @classmethod
    def install(cls, connection: Any) -> BulkFrameReader | None:
        """Install on a connected py-amqp connection over plain TCP; None for anything else (TLS:
        the SSL object buffers on its own)."""
        from amqp.transport import TCPTransport

        transport = getattr(connection, "transport", None)
        if type(transport) is not TCPTransport or transport.sock is None:
            return None
        reader = transport.__dict__.get("read_frame")
        if isinstance(reader, BulkFrameReader) and reader.sock is transport.sock:
            return reader
        reader = cls(transport)
        transport.read_frame = reader
        transport.having_timeout = reader.having_timeout
        return reader

    def has_frame(self) -> bool:
        buffer, pos = self.buffer, self.pos
        if len(buffer) - pos < 7:
            return False
        return len(buffer) > pos + 7 + _FRAME_HEADER.unpack_from(buffer, pos)[2]

    def __call__(self, *_args: Any) -> tuple[int, int, bytes]:
        buffer = self.buffer
        while True:
            pos = self.pos
            if len(buffer) - pos >= 7:
                frame_type, channel, size = _FRAME_HEADER.unpack_from(buffer, pos)
                end = pos + 7 + size
                if len(buffer) > end:
                    if buffer[end] != 206:
                        from amqp.exceptions import UnexpectedFrame

                        raise UnexpectedFrame(f"Received frame_end {buffer[end]:#04x} while expecting 0xce")
                    payload = bytes(buffer[pos + 7 : end])
                    if end + 1 == len(buffer):
                        buffer.clear()
                        self.pos = 0
                    else:
                        self.pos = end + 1
                    return frame_type, channel, payload
            if pos:
                del buffer[:pos]
                self.pos = 0
            buffer += self._recv()

    def _recv(self) -> bytes:
        try:
            data = self.sock.recv(READ_SIZE, socket.MSG_DONTWAIT if self.dontwait else 0)
        except TimeoutError:
            raise
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EINTR):  # nothing to read now: py-amqp's "timeout"
                raise TimeoutError() from None
            self.transport.connected = False
            raise
        if not data:
            self.transport.connected = False
            raise OSError("Server unexpectedly closed connection")
        return data


class _NoWait:
    """The context `BulkFrameReader.having_timeout(0)` returns (no generator per call)."""

    __slots__ = ("reader",)

    def __init__(self, reader: BulkFrameReader) -> None:
        self.reader = reader

    def __enter__(self) -> Any:
        self.reader.dontwait = True
        return self.reader.sock

    def __exit__(self, *exc: object) -> None:
        self.reader.dontwait = False
