"""The relay's hand-built `basic.publish` frames are what py-amqp would send, byte for byte, and
the worker's bulk frame reader parses what py-amqp's reader parses (no broker needed)."""

from __future__ import annotations

import socket
import struct
from types import SimpleNamespace

import pytest
from amqp import Message
from amqp.method_framing import frame_writer

from socialapp.events.wire import BulkFrameReader, PublishFrames


class Capture:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += bytes(data)


def py_amqp_frames(channel_id: int, frame_max: int, messages: list[tuple[str, str, bytes, str, str]]) -> bytes:
    transport = Capture()
    connection = SimpleNamespace(frame_max=frame_max, bytes_sent=0)
    write = frame_writer(connection, transport)
    for exchange, routing_key, body, message_id, type_ in messages:
        message = Message(body, content_type="application/json", content_encoding="utf-8",
                          application_headers={}, delivery_mode=2, message_id=message_id, type=type_)  # fmt: skip
        # Basic.Publish: reserved short, exchange, routing key, mandatory, immediate (py-amqp's argsig 'Bssbb')
        from amqp.serialization import dumps

        args = dumps("Bssbb", (0, exchange, routing_key, True, False))
        write(1, channel_id, (60, 40), args, message)
    return bytes(transport.data)


@pytest.mark.parametrize("frame_max", [131072, 4096])
def test_publish_frames_are_what_py_amqp_sends(frame_max: int) -> None:
    messages = [
        ("socialapp.events", "post.created", b'{"a": 1}', "0b7c1c56-0000-4000-8000-000000000001", "post.created"),
        ("", "projector.x", b"", "id-2", "t"),
        ("socialapp.events", "post.edited", ("é" * 5000).encode(), "id-3", "post.edited"),  # several body frames
    ]
    channel = SimpleNamespace(channel_id=3, connection=SimpleNamespace(frame_max=frame_max))
    assert bytes(PublishFrames(channel).build(messages)) == py_amqp_frames(3, frame_max, messages)


def test_a_short_string_longer_than_255_bytes_is_refused() -> None:
    channel = SimpleNamespace(channel_id=1, connection=SimpleNamespace(frame_max=131072))
    with pytest.raises(ValueError):
        PublishFrames(channel).build([("x", "k" * 256, b"", "id", "t")])


def _reader(sock: socket.socket) -> BulkFrameReader:
    return BulkFrameReader(SimpleNamespace(sock=sock, _read_buffer=b"", connected=True, having_timeout=None))


def test_the_bulk_reader_cuts_the_frames_py_amqp_cuts_whatever_the_segments() -> None:
    messages = [("socialapp.events", f"type.{i}", (b"x" * (i * 97)), f"id-{i}", "t") for i in range(60)]
    wire = py_amqp_frames(1, 4096, messages)
    ours, theirs = socket.socketpair()
    try:
        reader = _reader(theirs)
        frames = []
        for start in range(0, len(wire), 1000):  # segments that cut frames anywhere
            ours.sendall(wire[start : start + 1000])
            theirs.settimeout(0)
            while True:
                try:
                    frames.append(reader())
                except TimeoutError:
                    break
        assert not reader.has_frame()
    finally:
        ours.close()
        theirs.close()
    expected, pos = [], 0
    while pos < len(wire):  # the frames as the AMQP grammar cuts them
        kind, channel, size = struct.unpack_from(">BHI", wire, pos)
        expected.append((kind, channel, wire[pos + 7 : pos + 7 + size]))
        pos += 8 + size
    assert frames == expected and len(frames) >= 3 * len(messages)


def test_a_closed_socket_marks_the_transport_disconnected() -> None:
    ours, theirs = socket.socketpair()
    reader = _reader(theirs)
    ours.close()
    with pytest.raises(OSError):
        reader()
    assert reader.transport.connected is False
    theirs.close()
