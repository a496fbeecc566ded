"""Process lifecycle: stdout hygiene, stdin EOF, Shutdown, signals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import ChannelClient, Gate, WorkerProcess, run, unpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc


def test_user_prints_go_to_stderr(own_worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(own_worker) as client:
            assert await client.call_value("bridge_testlib.echo_print", "hello from user") == (
                "hello from user"
            )
            assert await client.call_value("os.write", 1, b"raw fd 1\n") == 9

    run(scenario())
    assert own_worker.proc.stdin is not None
    own_worker.proc.stdin.close()
    assert own_worker.proc.wait(timeout=10) == 0
    assert own_worker.proc.stdout is not None
    assert own_worker.proc.stdout.read() == b""  # nothing after the ready line
    stderr = own_worker.stderr()
    assert "hello from user" in stderr
    assert "raw fd 1" in stderr


def test_stdin_eof_exits_at_once(own_worker: WorkerProcess, tmp_path: Path) -> None:
    gate = Gate(tmp_path)  # never opened

    async def scenario() -> None:
        async with ChannelClient(own_worker) as client:
            # Busy in user code that never returns by itself: EOF must not wait for it.
            await client.send(gate.frame(client))
            await gate.started()

    run(scenario())
    assert own_worker.proc.stdin is not None
    own_worker.proc.stdin.close()
    own_worker.proc.wait(timeout=20)
    assert not gate.has_returned  # it exited with the call still blocked


def test_shutdown_drains_and_exits_zero(own_worker: WorkerProcess, tmp_path: Path) -> None:
    gate = Gate(tmp_path)

    async def scenario() -> None:
        async with ChannelClient(own_worker) as client:
            (inflight,) = await client.send(gate.frame(client))
            await gate.started()
            await client.shutdown(60_000)
            # New calls are refused while draining (the blocked call keeps it draining)...
            refused = await client.error("operator.add", [1, 2])
            assert refused.code == pb.ERROR_CODE_UNAVAILABLE
            assert not inflight.done()
            # ...and the in-flight one still gets its result once it ends.
            gate.open()
            reply = await asyncio.wait_for(inflight, 10)
            assert reply.WhichOneof("kind") == "result"
            assert unpack(reply.result.value.data) is True

    run(scenario())
    assert own_worker.proc.wait(timeout=10) == 0


def test_shutdown_grace_expires(own_worker: WorkerProcess, tmp_path: Path) -> None:
    gate = Gate(tmp_path)  # never opened

    async def scenario() -> None:
        async with ChannelClient(own_worker) as client:
            (stuck,) = await client.send(gate.frame(client))
            await gate.started()
            await client.shutdown(200)
            reply = await asyncio.wait_for(stuck, 10)
            # Answered, never left pending, while the call is still blocked: the grace ended it.
            assert reply.error.code == pb.ERROR_CODE_UNAVAILABLE
            assert not gate.has_returned

    run(scenario())
    assert own_worker.proc.wait(timeout=10) == 0


def test_shutdown_without_grace_exits_zero(own_worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with grpc.aio.insecure_channel(own_worker.address) as channel:
            await pb_grpc.WorkerServiceStub(channel).Shutdown(
                pb.ShutdownRequest(grace_ms=0), metadata=own_worker.metadata
            )

    run(scenario())
    assert own_worker.proc.wait(timeout=10) == 0


def test_sigterm_exits_cleanly(own_worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with grpc.aio.insecure_channel(own_worker.address) as channel:
            status = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest()
            )
            assert status.status == health_pb2.HealthCheckResponse.SERVING

    run(scenario())
    own_worker.proc.send_signal(signal.SIGTERM)
    assert own_worker.proc.wait(timeout=10) == 0
    assert "Traceback" not in own_worker.stderr()


def test_bad_socket_path_fails_without_ready_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bridge_worker", "--socket", "/nonexistent-dir/x/w.sock"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=20,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"cannot bind" in proc.stderr
