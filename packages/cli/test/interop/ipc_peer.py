#!/usr/bin/python3
"""A statemesh peer over IPC (a Unix socket), written from wire's PROTOCOL.md, transport-ipc's PROTOCOL.md and
replication.proto alone: it shares nothing with the Node side but those documents and the .proto file.

Usage: ipc_peer.py <socket> <replication.proto> <workdir> <cluster> <node-id> <node's id> <mode>

Prints one JSON line per step on stdout (`{"event": ...}`) and exits 0 when every step went as the documents say;
any surprise, and any frame that does not come within the bounded wait, prints {"event": "failed", "why": ...}
and exits 1.

`refused`: sends a Hello and expects a Goodbye naming the refusal, then the end of the stream.
`versions`: the same with a Hello for versions 2-3 only.
`silent`: exchanges Hellos, then sends nothing: expects the node to cut the link after 5 of our intervals.
`session`: exchanges Hellos; waits for a live MutationBatch (the test writes on the node meanwhile), then for a large
value's BlobRef, whose manifest and chunks it fetches by ChunkRequest and verifies; sends its own
write and waits for the Ack that covers it; sends a write from a clock two minutes ahead, which the node must
refuse without closing the link; pulls a catch-up by vector in pages up to the last one; keeps the link alive with
heartbeats until the test writes a line on stdin; then sends a Goodbye, half-closes and waits for the end.
"""
import hashlib
import json
import secrets
import socket
import struct
import sys
import threading
import time

from statemesh_frames import (HEADER, MAGIC, WAIT_S, FrameInbox, encode_frame, fail, frame_kinds, incarnation,
                              replication_classes, say, start_reader)

sock_path, proto_path, workdir, cluster, node_id, their_id, mode = sys.argv[1:8]

pb = replication_classes(proto_path, workdir)
KINDS = frame_kinds(pb)
KIND_OF = {cls: kind for kind, cls in KINDS.items()}
HEARTBEAT_MS = 200  # announced in our Hello; the node judges our silence by it


class Link(FrameInbox):
    """One IPC link: frames out under a lock, frames in on a reader thread into its inbox (None: the stream ended)."""

    def __init__(self, path):
        super().__init__(KINDS)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT_S)
        self.sock.connect(path)
        self.lock = threading.Lock()
        self.closed = False
        start_reader(self._read)

    def send(self, message, version=1):
        frame = encode_frame(KIND_OF[type(message)], message, version)
        with self.lock:
            self.sock.sendall(frame)

    def _exactly(self, n):
        data = b""
        while len(data) < n:
            try:
                chunk = self.sock.recv(n - len(data))
            except socket.timeout:
                continue  # silence is judged by next(), not here
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data

    def _read(self):
        while True:
            header = self._exactly(HEADER.size)
            if header is None:
                self.end()
                return
            magic, version, kind, length = HEADER.unpack(header)
            if magic != MAGIC:
                fail(f"bad magic {magic!r}")
            body = self._exactly(length)
            if body is None:
                self.end()
                return
            self.deliver(version, kind, body)

    def close(self):
        self.closed = True
        self.sock.close()


def hello(link, versions=(1, 1)):
    link.send(pb.Hello(node=node_id, cluster=cluster, min_version=versions[0], max_version=versions[1],
                       vector=pb.VersionVector(), heartbeat_interval_ms=HEARTBEAT_MS, instance=secrets.token_hex(8)),
              version=versions[0])  # a Hello's header carries the sender's min_version
    return link.next("Hello", {1})


def refused(versions=(1, 1)):
    link = Link(sock_path)
    frame = hello(link, versions)
    reasons, codes = [], []
    # The node may send its own Hello before it reads ours; the refusal is a Goodbye, then the end of the stream.
    while frame is not None:
        version, kind, message = frame
        if kind == 8:
            reasons.append(message.reason)
            codes.append(message.code)
        frame = link.next("end of the stream", {1, 8})
    if not reasons:
        fail("the link ended without a Goodbye")
    say("refused", reasons=reasons, codes=codes)


def silent():
    link = Link(sock_path)
    frame = hello(link)
    if frame is None or frame[1] != 1:
        fail("expected the node's Hello")
    started = time.monotonic()
    while link.next("the node to cut a silent link", {1, 2, 3, 4, 5, 6, 8}) is not None:
        pass
    say("cut", after_ms=round((time.monotonic() - started) * 1000), heartbeats=link.heartbeats)


def fetch(link, request_id, digest):
    link.send(pb.ChunkRequest(request_id=request_id, digest=digest))
    frame = link.next(f"ChunkResponse {request_id}", {6})
    if frame is None or frame[1] != 6 or frame[2].request_id != request_id:
        fail(f"expected ChunkResponse {request_id}, got {frame and frame[1]}")
    return frame[2]


def verified(link, request_id, digest):
    response = fetch(link, request_id, digest)
    if not response.found or hashlib.sha256(response.data).hexdigest() != digest:
        fail(f"blob {digest}: found={response.found}, the bytes do not hash to it")
    return response.data


def fetch_blob(link, ref):
    """A BlobRef's value, as blob-store's PROTOCOL.md says: the manifest, then each chunk, every digest checked."""
    manifest = verified(link, 100, ref.digest)
    if manifest[0:4] != b"SMCM" or manifest[4] != 1:
        fail("not a version 1 manifest")
    n = manifest[20]
    codec = manifest[21:21 + n].decode("ascii")
    total = struct.unpack_from("<Q", manifest, 12)[0]
    content = manifest[21 + n:53 + n].hex()
    count = struct.unpack_from("<I", manifest, 53 + n)[0]
    if total != ref.size or codec != ref.codec or len(manifest) != 57 + n + 41 * count:
        fail("the manifest does not match its BlobRef")
    value = b""
    for i in range(count):
        entry = manifest[57 + n + 41 * i:57 + n + 41 * (i + 1)]
        stored, raw, flags = struct.unpack_from("<IIB", entry, 32)
        data = verified(link, 101 + i, entry[:32].hex())
        if flags & 1:
            fail(f"chunk {i} is compressed with {codec}, which this peer does not decode")
        if len(data) != stored or stored != raw:
            fail(f"chunk {i}: {len(data)} bytes, the manifest says {stored} stored, {raw} raw")
        value += data
    if hashlib.sha256(value).hexdigest() != content:
        fail("the assembled value does not hash to the manifest's content digest")
    return value, count


def heartbeat_loop(link):
    while not link.closed:
        try:
            link.send(pb.Heartbeat(node=node_id, sent_at_ms=int(time.time() * 1000)))
        except OSError:
            return
        time.sleep(HEARTBEAT_MS / 1000)


def session():
    link = Link(sock_path)
    frame = hello(link)
    if frame is None or frame[1] != 1:
        fail(f"expected the node's Hello, got {frame and frame[1]}")
    version, _, theirs = frame
    if theirs.node != their_id or theirs.cluster != cluster:
        fail(f"Hello from {theirs.node} of {theirs.cluster}")
    say("hello", node=theirs.node, min=theirs.min_version, max=theirs.max_version, header_version=version,
        heartbeat_ms=theirs.heartbeat_interval_ms, vector=dict(theirs.vector.seqs), instance=bool(theirs.instance))
    threading.Thread(target=heartbeat_loop, args=(link,), daemon=True).start()
    # The node writes under <node id>~<incarnation> unless it kept its sequence on disk: its origins are in its vector.
    their_origins = [o for o in theirs.vector.seqs if o == their_id or o.startswith(their_id + "~")]
    origin = f"{node_id}~{incarnation()}"

    # 2. A live batch: the test writes scene.live on the node once it saw our Hello event.
    frame = link.next("live MutationBatch", {2})
    if frame is None or frame[1] != 2:
        fail(f"expected a MutationBatch, got {frame and frame[1]}")
    live = frame[2].mutations[0]
    say("live", path=live.path, origin=live.origin, seq=live.seq, type=live.type,
        value=json.loads(live.inline.decode("utf-8")), hlc_ms=live.hlc >> 16, header_version=frame[0])
    their_origins = sorted(set(their_origins) | {live.origin})

    # 2b. A large value: the test writes scene.big from a file; it comes as a BlobRef, fetched by ChunkRequest.
    while True:
        frame = link.next("a MutationBatch with a BlobRef", {2})
        if frame is None or frame[1] != 2:
            fail(f"expected a MutationBatch, got {frame and frame[1]}")
        big = next((m for m in frame[2].mutations if m.WhichOneof("payload") == "blob"), None)
        if big is not None:
            break
    value, chunks = fetch_blob(link, big.blob)
    missing = fetch(link, 99, "0" * 64)
    say("blob", path=big.path, size=big.blob.size, codec=big.blob.codec, chunks=chunks,
        sha256=hashlib.sha256(value).hexdigest(), length=len(value), missing_found=missing.found,
        missing_data=len(missing.data))

    # 3. Our own write: our origin, seq 1 (its first), HLC from our wall clock (48-bit ms << 16 | counter).
    def write(origin, seq, path, value, ahead_ms=0):
        hlc = ((int(time.time() * 1000) + ahead_ms) << 16) | 0
        link.send(pb.MutationBatch(mutations=[pb.Mutation(
            origin=origin, seq=seq, hlc=hlc, path=path, op=pb.OP_SET, type="json",
            inline=json.dumps(value).encode("utf-8"))]))

    def acked(origin, seq):
        deadline = time.monotonic() + WAIT_S
        while not any(ack.get(origin, 0) >= seq for ack in link.acks):
            frame = link.next(f"Ack covering {origin}#{seq}", {9}, timeout=max(0.01, deadline - time.monotonic()))
            if frame is None or frame[1] != 9:
                fail(f"expected an Ack, got {frame and frame[1]}")
        return next(ack for ack in link.acks if ack.get(origin, 0) >= seq)

    write(origin, 1, "scene.python", {"from": "python"})
    say("acked", origin=origin, vector=acked(origin, 1))

    # A write from a clock two minutes ahead: refused (not applied, never in the vector), the link kept.
    ahead = f"{node_id}~{incarnation()}"
    write(ahead, 1, "scene.ahead", True, ahead_ms=120_000)
    write(origin, 2, "scene.python2", 2)
    vector = acked(origin, 2)
    say("ahead-refused", covered=ahead in vector, vector=vector)

    # 4. Catch-up by vector: everything a node at {their origins: 2} lacks, in pages of (a hint of) 2 entries.
    link.send(pb.SnapshotRequest(request_id=7, vector=pb.VersionVector(seqs={o: 2 for o in their_origins}), page_size=2))
    pages, entries = [], []
    while True:
        frame = link.next("SnapshotPage", {4})
        if frame is None or frame[1] != 4:
            fail(f"expected a SnapshotPage, got {frame and frame[1]}")
        page = frame[2]
        if page.request_id != 7:
            fail(f"a page for request {page.request_id}")
        if page.HasField("error"):
            fail(f"the snapshot failed: {page.error}")
        pages.append(len(page.entries))
        entries += [{"path": e.path, "origin": e.version.origin, "seq": e.version.seq, "tombstone": e.tombstone,
                     "value": json.loads(e.inline.decode("utf-8")) if e.WhichOneof("payload") == "inline" else None}
                    for e in page.entries]
        if page.last:
            say("catchup", pages=pages, entries=entries, vector=dict(page.vector.seqs))
            break

    # 5. Alive: several of the node's dead intervals pass with heartbeats both ways, then the test says when.
    interval = (theirs.heartbeat_interval_ms or 1000) / 1000
    before = link.heartbeats
    time.sleep(interval * 8)
    if link.heartbeats - before < 3:
        fail(f"only {link.heartbeats - before} heartbeats from the node in {interval * 8} s")
    say("alive", heartbeats=link.heartbeats, links=link.links)
    if sys.stdin.readline() == "":
        fail("stdin closed before the test said goodbye")
    link.send(pb.Goodbye(reason="interop peer done"))
    link.closed = True
    link.sock.shutdown(socket.SHUT_WR)
    while link.next("end of the stream after our Goodbye", {1, 2, 3, 4, 5, 6, 8}) is not None:
        pass
    link.close()
    say("goodbye")


try:
    {"refused": refused, "versions": lambda: refused((2, 3)), "silent": silent, "session": session}[mode]()
except Exception as error:  # noqa: BLE001 -- any surprise is a failed run, named
    fail(f"{type(error).__name__}: {error}")
