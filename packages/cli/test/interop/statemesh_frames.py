"""What the Python interop peers (ipc_peer.py, ws_peer.py) share, from wire's PROTOCOL.md and replication.proto alone:
the protobuf classes compiled by protoc, the 12-byte frame header, the kinds, and the JSON event lines they print.
"""
import json
import os
import secrets
import struct
import subprocess
import sys

MAGIC = b"SMSH"
HEADER = struct.Struct("<4sHHI")  # magic, version, kind, body length; little-endian
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


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


def incarnation():
    """A fresh incarnation: a peer keeps no record of its sequence numbers, so each run writes as a new origin."""
    return "".join(secrets.choice(BASE36) for _ in range(13))
