"""Throughput benchmark: ``operator.add`` round trips through one real worker.

    python/.venv/bin/python python/scripts/bench.py [--inflight 64] [--seconds 5] [--threads N]

Starts ``python -m bridge_worker`` on a temporary socket and drives one Channel from a
grpc.aio client that keeps ``--inflight`` calls outstanding, sending every refill as
one HostMessage (as the Node host does). Prints calls/s and frames per message.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

import grpc
import msgpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc


def start_worker(socket_path: str, threads: int | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bridge_worker", "--socket", socket_path, "--log-level", "WARNING"]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("worker did not start")
    return proc


async def run(socket_path: str, inflight: int, seconds: float) -> None:
    args = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=msgpack.packb([[1, 2], {}]))
    invoke = pb.Invoke(op=pb.INVOKE_OP_CALL, target="operator.add", args=args)
    async with grpc.aio.insecure_channel(f"unix:{socket_path}") as channel:
        stub = pb_grpc.WorkerServiceStub(channel)
        await stub.Handshake(pb.HandshakeRequest(protocol_version=1))
        call = stub.Channel()
        next_id = 1

        def frames(n: int) -> list[pb.HostFrame]:
            nonlocal next_id
            out = [pb.HostFrame(id=next_id + i, invoke=invoke) for i in range(n)]
            next_id += n
            return out

        # Warm up, then measure.
        for phase, duration in (("warmup", 1.0), ("measure", seconds)):
            await call.write(pb.HostMessage(frames=frames(inflight)))
            done = messages = 0
            outstanding = inflight
            start = time.perf_counter()
            end = start + duration
            while True:
                msg = await call.read()
                n = len(msg.frames)
                done += n
                messages += 1
                outstanding -= n
                if time.perf_counter() < end:
                    await call.write(pb.HostMessage(frames=frames(n)))
                    outstanding += n
                elif outstanding == 0:
                    break
            elapsed = time.perf_counter() - start
            if phase == "measure":
                print(
                    f"{done / elapsed:,.0f} calls/s  ({done} calls in {elapsed:.2f} s, "
                    f"{inflight} in flight, {done / messages:.1f} frames per WorkerMessage)"
                )
        await call.done_writing()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflight", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=None)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bw-") as tmp:
        socket_path = os.path.join(tmp, "w.sock")
        proc = start_worker(socket_path, opts.threads)
        try:
            asyncio.run(run(socket_path, opts.inflight, opts.seconds))
        finally:
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
