#!/usr/bin/python3
"""A statemesh peer over WebSocket, written from wire's PROTOCOL.md, transport-websocket's PROTOCOL.md and
replication.proto alone, on its own RFC 6455 client (HTTP upgrade, masked and fragmented frames, ping/pong, close
frames) from the standard library: it shares nothing with the Node side but those documents and the .proto file.

Usage: ws_peer.py <ws-url> <replication.proto> <workdir> <cluster> <node-id> <node's id> <token> <mode>

Prints one JSON line per step on stdout (`{"event": ...}`) and exits 0 when every step went as the documents say;
any surprise, and any message that does not come within the bounded wait, prints {"event": "failed", "why": ...}
and exits 1.

`tokens`: authenticates with a wrong token, then with none: expects each refused with its close code.
`not-auth`: first messages that are not the auth message (binary, not JSON, another type, another version, a token
that is not a string), one connection each: expects each refused with its close code.
`not-frames`: after the auth message, a first frame that is not a Hello, a text message, a message of one frame and
a byte more, of two frames, of part of one, an unmasked frame: expects each refused with its close code.
`oversized`: an auth message over 4096 bytes; a Hello of exactly 64 KiB of body (accepted) and one of a byte more;
after the Hellos, a message announcing more than 64 MiB: expects each refused from its frame header.
`refused`: a Hello (the test gives another cluster): expects a Goodbye with the refusal's code, then a close frame naming it.
`silent`: exchanges Hellos, then sends only WebSocket pings: expects them answered, and the link cut after 5 of our
heartbeat intervals all the same (pings are not a sign of life).
`session`: authenticates, exchanges Hellos, answers a ping's pong; waits for a live MutationBatch (the test writes on
the node meanwhile); sends its own write, fragmented over two WebSocket frames, and waits for the Ack that covers
it; keeps the link alive with heartbeats until the test writes a line on stdin; then sends a Goodbye and a close
frame, and waits for the node's close frame and the end of the connection.
"""
import base64
import hashlib
import json
import queue
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse

from statemesh_frames import (HEADER, MAGIC, WAIT_S, FrameInbox, encode_frame, fail, frame_kinds, incarnation,
                              replication_classes, say, start_reader)

url, proto_path, workdir, cluster, node_id, their_id, token, mode = sys.argv[1:9]

pb = replication_classes(proto_path, workdir)
KINDS = frame_kinds(pb)
KIND_OF = {cls: kind for kind, cls in KINDS.items()}
HEARTBEAT_MS = 200  # announced in our Hello; the node judges our silence by it
ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 65 * 1024 * 1024  # what this peer buffers of one message from the node at most
HELLO_LIMIT = 64 * 1024  # a Hello's body before the other side accepted one (wire's PROTOCOL.md)
FRAME_LIMIT = 64 * 1024 * 1024  # the node's maxFrameBytes by default, after the Hellos


def masked(payload, mask):
    """The payload XORed with the 4-byte mask, as a client sends every frame (RFC 6455 section 5.3)."""
    repeated = (mask * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(len(payload), "little")


class WebSocket:
    """One RFC 6455 client connection: frames out under a lock, messages in on a reader thread into a queue.

    The queue holds ("text", str), ("binary", bytes) and ("close", code, reason) once the node's close frame came
    (code None when it had none), then None when the connection ended.
    """

    def __init__(self, address):
        parts = urllib.parse.urlsplit(address)
        if parts.scheme != "ws" or parts.username or parts.query:
            fail(f"not a ws:// URL without credentials: {address}")
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT_S)
        key = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
        self.sock.sendall((f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode("ascii"))
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > 16384:
                fail("the upgrade response's head is over 16 KiB")
            chunk = self.sock.recv(4096)
            if not chunk:
                fail(f"the connection ended during the upgrade: {self.buffer!r}")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
        expected = base64.b64encode(hashlib.sha1((key + ACCEPT_GUID).encode("ascii")).digest()).decode("ascii")
        if status.split(" ")[1] != "101" or headers.get("upgrade", "").lower() != "websocket" \
                or "upgrade" not in headers.get("connection", "").lower() \
                or headers.get("sec-websocket-accept") != expected:
            fail(f"not a WebSocket upgrade: {status} {headers}")
        if "sec-websocket-extensions" in headers or "sec-websocket-protocol" in headers:
            fail(f"an extension or subprotocol we did not offer: {headers}")
        self.sock.settimeout(None)  # waits are bounded by next(), not by the socket
        self.lock = threading.Lock()
        self.messages = queue.Queue()
        self.pongs = queue.Queue()
        self.close_sent = False
        start_reader(self._read)

    def send_frame(self, opcode, payload, fin=True, announced=None, mask=True):
        """One frame; `announced` is the payload length written in its header when that is not len(payload)."""
        length = len(payload) if announced is None else announced
        head = bytes([(0x80 if fin else 0) | opcode])
        bit = 0x80 if mask else 0
        if length < 126:
            head += bytes([bit | length])
        elif length < 65536:
            head += bytes([bit | 126]) + struct.pack("!H", length)
        else:
            head += bytes([bit | 127]) + struct.pack("!Q", length)
        key = secrets.token_bytes(4) if mask else b""
        with self.lock:
            if self.close_sent:
                return False
            if opcode == CLOSE:
                self.close_sent = True
            try:
                self.sock.sendall(head + key + (masked(payload, key) if mask else payload))
            except OSError:
                return False  # the node cut the connection; the reader reports the end
        return True

    def send_text(self, text):
        return self.send_frame(TEXT, text.encode("utf-8"))

    def close(self, code, reason=""):
        """Our close frame: we send nothing after it, and read on until the node's and the end of the connection."""
        return self.send_frame(CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))

    def _exactly(self, n):
        while len(self.buffer) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read(self):
        message, kind = b"", None
        while True:
            head = self._exactly(2)
            if head is None:
                self.messages.put(None)
                return
            fin, opcode, length = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x7F
            if head[0] & 0x70 or head[1] & 0x80:
                fail(f"a frame from the node with reserved bits or a mask: {head.hex()}")
            if length == 126:
                length = struct.unpack("!H", self._exactly(2) or b"\0\0")[0]
            elif length == 127:
                length = struct.unpack("!Q", self._exactly(8) or b"\0" * 8)[0]
            if length > MAX_MESSAGE - len(message):
                fail(f"a message from the node over {MAX_MESSAGE} bytes")
            payload = self._exactly(length)
            if payload is None:
                self.messages.put(None)
                return
            if opcode >= CLOSE:
                if not fin or length > 125:
                    fail(f"a fragmented or long control frame from the node: opcode {opcode}, {length} bytes")
                if opcode == PING:
                    self.send_frame(PONG, payload)
                elif opcode == PONG:
                    self.pongs.put(payload)
                elif opcode == CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    self.messages.put(("close", code, payload[2:].decode("utf-8")))
                    # Answered with a close frame of the same code (RFC 6455 section 5.5.1), unless we sent ours.
                    self.send_frame(CLOSE, payload[:2])
                else:
                    fail(f"a frame of unknown opcode {opcode}")
                continue
            if opcode in (TEXT, BINARY):
                if kind is not None:
                    fail("a new message from the node before the end of the last one")
                kind = opcode
            elif opcode != CONTINUATION or kind is None:
                fail(f"a frame of opcode {opcode} out of place")
            message += payload
            if fin:
                self.messages.put(("text", message.decode("utf-8")) if kind == TEXT else ("binary", message))
                message, kind = b"", None

    def next(self, what, timeout=WAIT_S):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            fail(f"no {what} within {timeout} s")

    def closed(self, what):
        """The node's close frame as [code, reason], once the connection also ended; fails on any other message."""
        item = self.next(what)
        if item is None:
            fail(f"the connection ended without a close frame, waiting for {what}")
        if item[0] != "close":
            fail(f"{item[0]} message {str(item[1])[:80]!r} while waiting for {what}")
        if self.next(f"the end of the connection after the close frame ({what})") is not None:
            fail(f"a message after the node's close frame ({what})")
        return [item[1], item[2]]


def authenticated(secret=token):
    """A connection past the auth message: the node answered statemesh-ready."""
    ws = WebSocket(url)
    ws.send_text(json.dumps({"type": "statemesh-auth", "version": 1, "token": secret}))
    item = ws.next("statemesh-ready")
    if item is None or item[0] != "text" or json.loads(item[1]) != {"type": "statemesh-ready"}:
        fail(f"expected the ready message, got {item}")
    return ws


class Link(FrameInbox):
    """Statemesh frames over an authenticated WebSocket: one binary message each, decoded on a thread into its inbox
    (None once the node's close frame came: its code and reason are in `close`)."""

    def __init__(self, ws):
        super().__init__(KINDS)
        self.ws = ws
        self.close = None
        start_reader(self._read)

    def send(self, message, version=1):
        return self.ws.send_frame(BINARY, encode_frame(KIND_OF[type(message)], message, version))

    def _read(self):
        while True:
            item = self.ws.messages.get()
            if item is None or item[0] == "close":
                self.close = None if item is None else [item[1], item[2]]
                self.end()
                return
            if item[0] == "text":
                fail(f"a text message after the auth message: {item[1][:80]!r}")
            data = item[1]
            if len(data) < HEADER.size:
                fail(f"a message of {len(data)} bytes, shorter than a frame header")
            magic, version, kind, length = HEADER.unpack(data[:HEADER.size])
            if magic != MAGIC or len(data) != HEADER.size + length:
                fail(f"a message that is not one frame: {len(data)} bytes, magic {magic!r}, length {length}")
            self.deliver(version, kind, data[HEADER.size:])

    def drained(self, what):
        """Passes over frames until the close; the close frame's [code, reason] (None: the connection just ended)."""
        while self.next(what, {1, 2, 3, 4, 5, 6}) is not None:
            pass
        if self.close is not None and self.ws.next(f"the end of the connection after the close frame ({what})") is not None:
            fail(f"a message after the node's close frame ({what})")
        return self.close


def our_hello(versions=(1, 1)):
    return pb.Hello(node=node_id, cluster=cluster, min_version=versions[0], max_version=versions[1],
                    vector=pb.VersionVector(), heartbeat_interval_ms=HEARTBEAT_MS, instance=secrets.token_hex(8))


def hello(link):
    link.send(our_hello())
    frame = link.next("Hello", {1})
    if frame is None or frame[1] != 1:
        fail(f"expected the node's Hello, got {frame and frame[1]} (close {link.close})")
    return frame


def varint(n):
    out = b""
    while n > 0x7F:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def padded_hello(size):
    """Our Hello with an unknown field (number 100, bytes) that pads its body to exactly `size` bytes: receivers
    skip fields they do not know."""
    body = our_hello().SerializeToString() + bytes([0xA2, 0x06])  # the tag of field 100, wire type 2
    for digits in range(1, 4):
        pad = size - len(body) - digits
        if pad >= 0 and len(varint(pad)) == digits:
            return body + varint(pad) + b"\0" * pad
    fail(f"cannot pad a Hello to {size} bytes")


def refused_auth(first, opcode=TEXT):
    ws = WebSocket(url)
    ws.send_frame(opcode, first)
    return ws.closed("the refusal of the first message")


def tokens():
    wrong = refused_auth(json.dumps({"type": "statemesh-auth", "version": 1, "token": "not-" + token}).encode())
    missing = refused_auth(json.dumps({"type": "statemesh-auth", "version": 1}).encode())
    say("tokens", wrong=wrong, missing=missing)


def not_auth():
    hello_frame = encode_frame(1, our_hello())
    say("not-auth", refusals={
        "binary": refused_auth(hello_frame, BINARY),
        "not-json": refused_auth(b"statemesh-auth " + token.encode()),
        "type": refused_auth(json.dumps({"type": "hello", "version": 1, "token": token}).encode()),
        "version": refused_auth(json.dumps({"type": "statemesh-auth", "version": 2, "token": token}).encode()),
        "token-number": refused_auth(json.dumps({"type": "statemesh-auth", "version": 1, "token": 7}).encode()),
    })


def refused_after_auth(send):
    ws = authenticated()
    send(ws)
    link = Link(ws)
    return link.drained("the refusal after the auth message")


def not_frames():
    heartbeat = encode_frame(7, pb.Heartbeat(node=node_id, sent_at_ms=int(time.time() * 1000)))
    say("not-frames", refusals={
        "heartbeat-first": refused_after_auth(lambda ws: ws.send_frame(BINARY, heartbeat)),
        "text": refused_after_auth(lambda ws: ws.send_text('{"type":"statemesh-auth"}')),
        "frame-and-a-byte": refused_after_auth(lambda ws: ws.send_frame(BINARY, encode_frame(1, our_hello()) + b"\0")),
        "two-frames": refused_after_auth(lambda ws: ws.send_frame(BINARY, encode_frame(1, our_hello()) + heartbeat)),
        "part-of-a-frame": refused_after_auth(lambda ws: ws.send_frame(BINARY, encode_frame(1, our_hello())[:-1])),
        "unmasked": refused_after_auth(lambda ws: ws.send_frame(BINARY, encode_frame(1, our_hello()), mask=False)),
    })


def oversized():
    auth = json.dumps({"type": "statemesh-auth", "version": 1, "token": token, "pad": "x" * 4096}).encode()
    long_auth = refused_auth(auth)

    # A Hello of exactly 64 KiB of body is read: the node accepts it and starts its heartbeats.
    ws = authenticated()
    link = Link(ws)
    body = padded_hello(HELLO_LIMIT)
    ws.send_frame(BINARY, HEADER.pack(MAGIC, 1, 1, len(body)) + body)
    deadline = time.monotonic() + WAIT_S
    while link.heartbeats == 0 and not link.ended:
        if time.monotonic() > deadline:
            fail("no heartbeat after our Hello of exactly 64 KiB")
        time.sleep(0.02)
    if link.ended:
        fail(f"the node closed the link of a Hello of exactly 64 KiB: {link.close}")
    ws.send_frame(BINARY, encode_frame(8, pb.Goodbye(reason="interop peer done")))
    ws.close(1000)
    link.drained("the close after the Goodbye")

    def long_hello(ws):
        body = padded_hello(HELLO_LIMIT + 1)
        ws.send_frame(BINARY, HEADER.pack(MAGIC, 1, 1, len(body)) + body)

    hello_over = refused_after_auth(long_hello)

    # After the Hellos: a message announcing a body a byte over 64 MiB, refused before its payload is sent.
    ws = authenticated()
    link = Link(ws)
    hello(link)
    announced = HEADER.size + FRAME_LIMIT + 1
    ws.send_frame(BINARY, HEADER.pack(MAGIC, 1, 2, FRAME_LIMIT + 1), announced=announced)
    frame_over = link.drained("the refusal of a message over 64 MiB")
    say("oversized", auth=long_auth, hello=hello_over, frame=frame_over)


def refused():
    ws = authenticated()
    link = Link(ws)
    link.send(our_hello())
    goodbyes = []
    while True:
        frame = link.next("the refusal of our Hello", {1, 8})
        if frame is None:
            break
        if frame[1] == 8:
            goodbyes.append({"reason": frame[2].reason, "code": frame[2].code})
    if ws.next("the end of the connection after the close frame") is not None:
        fail("a message after the node's close frame")
    say("refused", goodbyes=goodbyes, close=link.close)


def silent():
    ws = authenticated()
    link = Link(ws)
    hello(link)
    started = time.monotonic()
    pongs = 0
    deadline = started + 30
    while not link.ended:
        if time.monotonic() > deadline:
            fail("the node kept a silent link 30 s")
        payload = secrets.token_bytes(8)
        if not ws.send_frame(PING, payload):
            break
        try:
            if ws.pongs.get(timeout=WAIT_S) == payload:
                pongs += 1
        except queue.Empty:
            if not link.ended:
                fail("no pong for our ping")
        time.sleep(HEARTBEAT_MS / 1000 / 2)
    close = link.drained("the cut of a link that only pings")
    say("cut", after_ms=round((time.monotonic() - started) * 1000), heartbeats=link.heartbeats, pongs=pongs,
        close=close)


def heartbeat_loop(link):
    while not link.ended:
        if not link.send(pb.Heartbeat(node=node_id, sent_at_ms=int(time.time() * 1000))):
            return
        time.sleep(HEARTBEAT_MS / 1000)


def session():
    ws = authenticated()
    say("ready")
    link = Link(ws)
    version, _, theirs = hello(link)
    if theirs.node != their_id or theirs.cluster != cluster:
        fail(f"Hello from {theirs.node} of {theirs.cluster}")
    say("hello", node=theirs.node, min=theirs.min_version, max=theirs.max_version, header_version=version,
        heartbeat_ms=theirs.heartbeat_interval_ms, vector=dict(theirs.vector.seqs), instance=bool(theirs.instance))
    threading.Thread(target=heartbeat_loop, args=(link,), daemon=True).start()

    payload = secrets.token_bytes(8)
    ws.send_frame(PING, payload)
    try:
        pong = ws.pongs.get(timeout=WAIT_S)
    except queue.Empty:
        fail("no pong for our ping")
    say("pong", same=pong == payload)

    # A live batch: the test writes scene.live on the node once it saw our Hello event.
    frame = link.next("live MutationBatch", {2})
    if frame is None or frame[1] != 2:
        fail(f"expected a MutationBatch, got {frame and frame[1]} (close {link.close})")
    live = frame[2].mutations[0]
    say("live", path=live.path, origin=live.origin, seq=live.seq, type=live.type,
        value=json.loads(live.inline.decode("utf-8")), header_version=frame[0])

    # Our own write, as one binary message in two WebSocket frames: our origin, seq 1, HLC from our wall clock.
    origin = f"{node_id}~{incarnation()}"
    write = encode_frame(2, pb.MutationBatch(mutations=[pb.Mutation(
        origin=origin, seq=1, hlc=int(time.time() * 1000) << 16, path="scene.python", op=pb.OP_SET, type="json",
        inline=json.dumps({"from": "python over websocket"}).encode("utf-8"))]))
    ws.send_frame(BINARY, write[:7], fin=False)
    ws.send_frame(CONTINUATION, write[7:])
    deadline = time.monotonic() + WAIT_S
    while not any(ack.get(origin, 0) >= 1 for ack in link.acks):
        frame = link.next(f"Ack covering {origin}#1", {9}, timeout=max(0.01, deadline - time.monotonic()))
        if frame is None or frame[1] != 9:
            fail(f"expected an Ack, got {frame and frame[1]} (close {link.close})")
    say("acked", origin=origin, vector=next(ack for ack in link.acks if ack.get(origin, 0) >= 1))

    # Alive: several of the node's dead intervals pass with heartbeats both ways, then the test says when.
    interval = (theirs.heartbeat_interval_ms or 1000) / 1000
    before = link.heartbeats
    time.sleep(interval * 8)
    if link.ended or link.heartbeats - before < 3:
        fail(f"{link.heartbeats - before} heartbeats from the node in {interval * 8} s, close {link.close}")
    say("alive", heartbeats=link.heartbeats, links=link.links)
    if sys.stdin.readline() == "":
        fail("stdin closed before the test said goodbye")
    link.send(pb.Goodbye(reason="interop peer done"))
    ws.close(1000)
    say("goodbye", close=link.drained("the node's close frame after our Goodbye"))


try:
    {"tokens": tokens, "not-auth": not_auth, "not-frames": not_frames, "oversized": oversized, "refused": refused,
     "silent": silent, "session": session}[mode]()
except Exception as error:  # noqa: BLE001 -- any surprise is a failed run, named
    fail(f"{type(error).__name__}: {error}")
