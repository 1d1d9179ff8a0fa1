"""What the Python interop peers (ipc_peer.py, ws_peer.py) share, from wire's PROTOCOL.md and replication.proto alone:
the protobuf classes compiled by protoc, the 12-byte frame header, the kinds, and the JSON event lines they print.
"""
import json
import os
import queue
import secrets
import struct
import subprocess
import sys
import threading
import time

MAGIC = b"SMSH"
HEADER = struct.Struct("<4sHHI")  # magic, version, kind, body length; little-endian
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
WAIT_S = 10  # the longest a peer waits for any one frame: a node that stops answering fails the run


def replication_classes(proto_path, workdir):
    """The module `protoc --python_out` makes of replication.proto, compiled into `workdir` and imported from there."""
    include_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(proto_path))))
    subprocess.run(["protoc", f"-I{include_root}", f"--python_out={workdir}", "statemesh/v1/replication.proto"],
                   check=True)
    sys.path.insert(0, workdir)
    from statemesh.v1 import replication_pb2  # noqa: E402 -- exists only once protoc ran

    return replication_pb2


def frame_kinds(pb):
    """Kind number -> message class, as wire's PROTOCOL.md numbers them."""
    return {1: pb.Hello, 2: pb.MutationBatch, 3: pb.SnapshotRequest, 4: pb.SnapshotPage, 5: pb.ChunkRequest,
            6: pb.ChunkResponse, 7: pb.Heartbeat, 8: pb.Goodbye, 9: pb.Ack}


def encode_frame(kind, message, version=1):
    """The frame's bytes: the header, then the body."""
    body = message.SerializeToString()
    return HEADER.pack(MAGIC, version, kind, len(body)) + body


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def fail(why):
    say("failed", why=why)
    os._exit(1)


def start_reader(read):
    """Runs `read` on a daemon thread; an exception there fails the run, named, rather than stopping it unseen."""
    def run():
        try:
            read()
        except Exception as error:  # noqa: BLE001 -- any surprise is a failed run, named
            fail(f"reader: {type(error).__name__}: {error}")

    threading.Thread(target=run, daemon=True).start()


def incarnation():
    """A fresh incarnation: a peer keeps no record of its sequence numbers, so each run writes as a new origin."""
    return "".join(secrets.choice(BASE36) for _ in range(13))


class FrameInbox:
    """The frames a link received, filled by its reader thread: heartbeats counted (with the links they announce),
    Acks kept, unknown kinds skipped, the rest queued for `next` (None once the link ended)."""

    def __init__(self, kinds):
        self.kinds = kinds
        self.frames = queue.Queue()
        self.heartbeats = 0
        self.acks = []
        self.links = None
        self.ended = False

    def deliver(self, version, kind, body):
        if kind not in self.kinds:
            return  # an unknown kind is skipped, never fatal
        message = self.kinds[kind].FromString(body)
        if kind == 7:
            self.heartbeats += 1
            self.links = list(message.links)
            return
        if kind == 9:
            self.acks.append(dict(message.vector.seqs))
        self.frames.put((version, kind, message))

    def end(self):
        self.ended = True
        self.frames.put(None)

    def next(self, what, wanted=None, timeout=WAIT_S):
        """The next (version, kind, message) of a kind in `wanted` (others but Goodbye are passed over), None once
        the link ended; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"no {what} within {round(timeout, 1)} s")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                fail(f"no {what} within {round(timeout, 1)} s")
            if frame is None or wanted is None or frame[1] in wanted or frame[1] == 8:
                return frame
