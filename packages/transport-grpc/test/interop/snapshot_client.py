#!/usr/bin/python3
"""A statemesh peer written against Python's grpcio, sharing nothing with the Node side but replication.proto.

Usage: snapshot_client.py <host:port> <replication.proto> <workdir> <cluster> <prefix>
Environment (all optional): STATEMESH_CA (PEM file: dial with TLS, trusting this CA), STATEMESH_CERT and
STATEMESH_KEY (PEM files: client certificate for mutual TLS), STATEMESH_TOKEN (sent as `authorization: Bearer`).

Generates the message classes with `protoc --python_out`, opens statemesh.v1.Replication/Channel, exchanges
Hello, asks for a snapshot of <prefix> in pages of 2, and prints what it got as one JSON line. A refused call
prints {"status": "<CODE>"} instead.
"""
import json
import os
import queue
import subprocess
import sys

import grpc

address, proto_path, workdir, cluster, prefix = sys.argv[1:6]

# protoc wants the file under an include root that matches its package path (statemesh/v1/...).
include_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(proto_path))))
subprocess.run(["protoc", f"-I{include_root}", f"--python_out={workdir}", "statemesh/v1/replication.proto"], check=True)
sys.path.insert(0, workdir)
from statemesh.v1 import replication_pb2 as pb  # noqa: E402

outbox = queue.Queue()


def requests():
    while True:
        envelope = outbox.get()
        if envelope is None:
            return
        yield envelope


def read(name):
    path = os.environ.get(name)
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


ca, cert, key, token = read("STATEMESH_CA"), read("STATEMESH_CERT"), read("STATEMESH_KEY"), os.environ.get("STATEMESH_TOKEN")
if ca is not None:
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    channel = grpc.secure_channel(address, credentials)
else:
    channel = grpc.insecure_channel(address)
metadata = [("authorization", f"Bearer {token}")] if token else None
channel_method = channel.stream_stream(
    "/statemesh.v1.Replication/Channel",
    request_serializer=pb.Envelope.SerializeToString,
    response_deserializer=pb.Envelope.FromString,
)
responses = channel_method(requests(), timeout=20, metadata=metadata)

outbox.put(pb.Envelope(hello=pb.Hello(node="py-client", cluster=cluster, min_version=1, max_version=1)))
try:
    first = next(responses)
except grpc.RpcError as error:
    outbox.put(None)
    channel.close()
    print(json.dumps({"status": error.code().name}))
    sys.exit(0)
if first.WhichOneof("frame") != "hello":
    raise SystemExit(f"expected a Hello first, got {first.WhichOneof('frame')}")
hello = first.hello

outbox.put(pb.Envelope(snapshot_request=pb.SnapshotRequest(request_id=7, prefixes=[prefix], page_size=2)))
pages = []
entries = []
vector = {}
for envelope in responses:
    kind = envelope.WhichOneof("frame")
    if kind != "snapshot_page":
        continue  # heartbeats and anything else
    page = envelope.snapshot_page
    if page.request_id != 7:
        raise SystemExit(f"page for request {page.request_id}")
    pages.append(len(page.entries))
    for entry in page.entries:
        entries.append({
            "path": entry.path,
            "origin": entry.version.origin,
            "seq": entry.version.seq,
            "hlc": str(entry.version.hlc),
            "tombstone": entry.tombstone,
            "type": entry.type,
            "inline": entry.inline.decode("utf-8") if entry.WhichOneof("payload") == "inline" else None,
        })
    if page.last:
        vector = dict(page.vector.seqs)
        break

outbox.put(pb.Envelope(goodbye=pb.Goodbye(reason="interop client done")))
outbox.put(None)
for _ in responses:
    pass  # drain until the server ends the stream
channel.close()

print(json.dumps({
    "hello": {"node": hello.node, "cluster": hello.cluster, "min": hello.min_version, "max": hello.max_version,
              "vector": dict(hello.vector.seqs), "interests": list(hello.interests)},
    "pages": pages,
    "entries": entries,
    "vector": vector,
}))
