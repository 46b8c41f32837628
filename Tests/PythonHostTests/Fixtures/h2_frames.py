"""Frame-level HTTP/2 cases against a server on 127.0.0.1:PORT, with the `h2` package (its state
machine for well-behaved steps, hyperframe for frames a client must not send). Each case prints
one line `ok CASE DETAIL` or exits non-zero with why; the Swift test (HTTP2FrameTests) starts the
server, runs a case, and checks what the server did.

    python h2_frames.py PORT CASE
"""

import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame, PingFrame, SettingsFrame


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def request(conn, path, end_stream=True, method="GET"):
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [(":method", method), (":path", path), (":scheme", "http"), (":authority", "localhost")], end_stream=end_stream)
    return stream


def events_until(sock, conn, done, timeout=10):
    """Reads and feeds events until `done(events so far)` says so; returns them (ConnectionTerminated
    and a closed socket end the wait too)."""
    seen = []
    deadline = time.monotonic() + timeout
    while not done(seen):
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            raise SystemExit(f"timed out; events: {[type(e).__name__ for e in seen]}")
        if not data:
            seen.append("closed")
            break
        events = conn.receive_data(data)
        seen += events
        try:
            sock.sendall(conn.data_to_send())
        except OSError:
            seen.append("closed")
            break
        if any(isinstance(e, h2.events.ConnectionTerminated) for e in events):
            break
    return seen


def ended(stream):
    return lambda seen: any(isinstance(e, h2.events.StreamEnded) and e.stream_id == stream for e in seen)


def body_of(seen, stream):
    return b"".join(e.data for e in seen if isinstance(e, h2.events.DataReceived) and e.stream_id == stream)


def terminated(seen):
    for event in seen:
        if isinstance(event, h2.events.ConnectionTerminated):
            return event
    return None


def reset_mid_response(port):
    """Reads part of an endless body, resets the stream, then asks again on the same connection."""
    sock, conn = connect(port)
    stream = request(conn, "/endless")
    sock.sendall(conn.data_to_send())
    events_until(sock, conn, lambda seen: len(body_of(seen, stream)) >= 1000)
    conn.reset_stream(stream, error_code=8)  # CANCEL
    second = request(conn, "/hello")
    sock.sendall(conn.data_to_send())
    seen = events_until(sock, conn, ended(second))
    print("ok reset-mid-response", body_of(seen, second).decode())


def stalled_reader(port):
    """A stream whose reader never opens its window does not hold back another stream."""
    sock, conn = connect(port)
    big = request(conn, "/big")
    sock.sendall(conn.data_to_send())
    # Take the first window's worth without acknowledging it: the big stream stalls.
    seen = events_until(sock, conn, lambda seen: len(body_of(seen, big)) >= 65535 or ended(big)(seen))
    if ended(big)(seen):
        raise SystemExit("the big body did not stall")
    # The connection's window opens (the client reads the connection), the big stream's does not.
    conn.increment_flow_control_window(1 << 20)
    small = request(conn, "/hello")
    sock.sendall(conn.data_to_send())
    seen = events_until(sock, conn, ended(small))
    if ended(big)(seen):
        raise SystemExit("the big stream went past its window")
    print("ok stalled-reader", body_of(seen, small).decode())


def rapid_reset(port):
    """CVE-2023-44487: streams opened and reset at once, without end."""
    sock, conn = connect(port)
    sock.sendall(conn.data_to_send())
    for _ in range(3000):
        stream = request(conn, "/hello")
        conn.reset_stream(stream, error_code=8)
        try:
            sock.sendall(conn.data_to_send())
        except OSError:
            break
    seen = events_until(sock, conn, lambda seen: terminated(seen) is not None or "closed" in seen, timeout=15)
    goaway = terminated(seen)
    print("ok rapid-reset", goaway.error_code if goaway else "closed")


def raw_connection(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SettingsFrame(0).serialize())
    return sock


def goaway_code(sock):
    """Reads frames until GOAWAY; its error code (or 'closed')."""
    buffer = b""
    sock.settimeout(10)
    while True:
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            if buffer[3] == 0x7:
                return int.from_bytes(buffer[9 + 4:9 + 8], "big")
            buffer = buffer[9 + length:]
        data = sock.recv(65536)
        if not data:
            return "closed"
        buffer += data


def continuation_flood(port):
    """CVE-2024-27316's class: one HEADERS frame followed by CONTINUATION frames without end."""
    sock = raw_connection(port)
    headers = HeadersFrame(1)
    headers.data = b"\x82\x84\x86"  # :method GET, :path /, :scheme http (static table)
    sock.sendall(headers.serialize())
    try:
        for _ in range(100):
            continuation = ContinuationFrame(1)
            continuation.data = b"\x40\x01a\x01b"  # a: b, literal with indexing
            sock.sendall(continuation.serialize())
    except OSError:
        pass
    print("ok continuation-flood", goaway_code(sock))


def data_on_stream_zero(port):
    """A frame that may not be on stream 0: a connection error (PROTOCOL_ERROR)."""
    sock = raw_connection(port)
    frame = DataFrame(1)
    frame.stream_id = 0
    frame.data = b"x"
    sock.sendall(frame.serialize())
    print("ok data-on-stream-zero", goaway_code(sock))


def hpack_bomb(port):
    """One large field put in the HPACK table, then referenced again and again: the decoded head
    is far past the limit although the frames are small."""
    sock, conn = connect(port)
    value = "v" * 4000
    stream = conn.get_next_available_stream_id()
    headers = [(":method", "GET"), (":path", "/hello"), (":scheme", "http"), (":authority", "localhost")]
    headers += [("x-bomb", value)] * 100
    conn.send_headers(stream, headers, end_stream=True)
    sock.sendall(conn.data_to_send())
    seen = events_until(sock, conn, lambda seen: ended(stream)(seen) or any(
        isinstance(e, h2.events.StreamReset) and e.stream_id == stream for e in seen))
    status = next((dict(e.headers).get(":status") for e in seen if isinstance(e, h2.events.ResponseReceived)), None)
    print("ok hpack-bomb", status or "reset")


def control_flood(port, frame):
    """Control frames that each need an answer, sent faster than the answers are read."""
    sock = raw_connection(port)
    try:
        sock.sendall(frame.serialize() * 5000)
    except OSError:
        pass
    return goaway_code(sock)


def ping_flood(port):
    frame = PingFrame(0)
    frame.opaque_data = b"12345678"
    print("ok ping-flood", control_flood(port, frame))


def settings_flood(port):
    frame = SettingsFrame(0)
    frame.settings = {SettingsFrame.MAX_CONCURRENT_STREAMS: 100}
    print("ok settings-flood", control_flood(port, frame))


def trailers(port):
    """A request body followed by trailers: the body reaches the application, the trailers do
    not, and the response is normal."""
    sock, conn = connect(port)
    stream = conn.get_next_available_stream_id()
    conn.send_headers(stream, [(":method", "POST"), (":path", "/echo"), (":scheme", "http"), (":authority", "localhost")])
    conn.send_data(stream, b"hello")
    conn.send_headers(stream, [("x-checksum", "abc")], end_stream=True)
    sock.sendall(conn.data_to_send())
    seen = events_until(sock, conn, ended(stream))
    status = next(dict(e.headers).get(":status") for e in seen if isinstance(e, h2.events.ResponseReceived))
    print("ok trailers", status, body_of(seen, stream).decode())


def window_until_read(port):
    """An upload to an application (on an application thread) that has not read yet: the peer's
    window stays shut after its first 64 KiB; once the application reads, the window opens as it
    reads and the whole MiB arrives."""
    sock, conn = connect(port)
    stream = request(conn, "/hold", end_stream=False, method="POST")
    total, sent = 1 << 20, 0

    def send_what_the_window_allows():
        nonlocal sent
        while sent < total:
            room = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size, total - sent)
            if room <= 0:
                break
            conn.send_data(stream, b"u" * room, end_stream=sent + room == total)
            sent += room
        sock.sendall(conn.data_to_send())

    send_what_the_window_allows()
    held = sent
    # Nothing reopens the stream's window while the application has not read. A server that gave
    # the window back on receipt would queue its WINDOW_UPDATE while taking the DATA frames, before
    # the PING sent after them; the PING's answer ends the look (no waiting on a clock).
    conn.ping(b"windowed")
    sock.sendall(conn.data_to_send())
    updates = 0
    answered = False
    while not answered:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("closed while holding")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.WindowUpdated) and event.stream_id == stream:
                updates += 1
            if isinstance(event, h2.events.PingAckReceived):
                answered = True
        sock.sendall(conn.data_to_send())
    release = request(conn, "/release")
    sock.sendall(conn.data_to_send())
    seen = []
    while not ended(stream)(seen):
        data = sock.recv(65536)
        if not data:
            raise SystemExit("closed")
        seen += conn.receive_data(data)
        send_what_the_window_allows()
    print("ok window-until-read", held, updates, body_of(seen, stream).decode())


def empty_data_flood(port):
    """DATA frames with nothing in them and no END_STREAM, on an open stream, without end."""
    sock = raw_connection(port)
    headers = HeadersFrame(1)
    headers.data = b"\x83\x84\x86\x41\x09localhost"  # POST, /, http, :authority localhost
    headers.flags.add("END_HEADERS")
    empty = DataFrame(1)
    try:
        sock.sendall(headers.serialize() + empty.serialize() * 5000)
    except OSError:
        pass
    print("ok empty-data-flood", goaway_code(sock))


def hpack_error(port):
    """A field block that cannot be decoded (indexed field 0): COMPRESSION_ERROR (9)."""
    sock = raw_connection(port)
    headers = HeadersFrame(1)
    headers.data = b"\x80"
    headers.flags.add("END_HEADERS")
    headers.flags.add("END_STREAM")
    sock.sendall(headers.serialize())
    print("ok hpack-error", goaway_code(sock))


CASES = {
    "empty-data-flood": empty_data_flood,
    "hpack-error": hpack_error,
    "window-until-read": window_until_read,
    "ping-flood": ping_flood,
    "settings-flood": settings_flood,
    "trailers": trailers,
    "reset-mid-response": reset_mid_response,
    "stalled-reader": stalled_reader,
    "rapid-reset": rapid_reset,
    "continuation-flood": continuation_flood,
    "data-on-stream-zero": data_on_stream_zero,
    "hpack-bomb": hpack_bomb,
}

if __name__ == "__main__":
    CASES[sys.argv[2]](int(sys.argv[1]))
