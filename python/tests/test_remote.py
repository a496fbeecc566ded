"""Remote mode (``serve --listen HOST:PORT``) and how both modes treat signals."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import SUPPORT, ChannelClient, Gate, WorkerProcess, run

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc


class RemoteWorker:
    """``python -m bridge_worker serve --listen 127.0.0.1:0``, as an orchestrator starts it."""

    def __init__(self, *extra: str, token: str | None = "remote-token", via_file: bool = False):
        self._tmp = tempfile.TemporaryDirectory(prefix="bwr-")
        self.token = token
        env = {**os.environ, "PYTHONPATH": str(SUPPORT), "PYTHONUNBUFFERED": "1"}
        env.pop("BRIDGE_WORKER_TOKEN", None)
        args = [sys.executable, "-m", "bridge_worker", "serve", "--listen", "127.0.0.1:0", *extra]
        if token is not None and via_file:
            token_file = Path(self._tmp.name, "token")
            token_file.write_text(token + "\n")
            args += ["--token-file", str(token_file)]
        elif token is not None:
            env["BRIDGE_WORKER_TOKEN"] = token
        self.stderr_path = Path(self._tmp.name, "stderr.log")
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        self.ready = json.loads(line) if line else None

    @property
    def address(self) -> str:
        assert self.ready is not None, self.stderr_path.read_text()
        return str(self.ready["grpc"])

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self._tmp.cleanup()


@pytest.fixture
def remote() -> Iterator[RemoteWorker]:
    worker = RemoteWorker(via_file=True)
    yield worker
    worker.stop()


async def _health(address: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="bridge.v1.WorkerService"), timeout=5
        )
        return int(reply.status)


def test_serve_needs_a_token_and_never_takes_it_on_argv() -> None:
    worker = RemoteWorker(token=None)
    try:
        assert worker.proc.wait(timeout=20) == 2  # argparse's usage error
        assert worker.ready is None
        assert "needs a token" in worker.stderr_path.read_text()
    finally:
        worker.stop()
    help_text = subprocess.run(
        [sys.executable, "-m", "bridge_worker", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--token-file" in help_text
    assert "--token " not in help_text


@pytest.mark.parametrize("via_file", [True, False])
def test_serve_takes_calls_with_the_token_and_hides_it(via_file: bool) -> None:
    worker = RemoteWorker(via_file=via_file)

    async def scenario() -> tuple[object, object]:
        async with ChannelClient(worker, grpc=True) as client:  # type: ignore[arg-type]
            total = await client.call_value("operator.add", 2, 3)
            seen = await client.call_value("os.environ.get", "BRIDGE_WORKER_TOKEN")
            return total, seen

    try:
        assert run(scenario()) == (5, None)  # user code cannot read the token
    finally:
        worker.stop()


def test_serve_refuses_a_wrong_token_but_answers_health(remote: RemoteWorker) -> None:
    async def scenario() -> tuple[grpc.StatusCode, int]:
        async with grpc.aio.insecure_channel(remote.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await pb_grpc.WorkerServiceStub(channel).Handshake(
                    pb.HandshakeRequest(protocol_version=1),
                    metadata=(("authorization", "Bearer wrong"),),
                )
        return info.value.code(), await _health(remote.address)

    code, health = run(scenario())
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert health == health_pb2.HealthCheckResponse.SERVING


def test_sigterm_reports_not_serving_while_it_drains(tmp_path: Path) -> None:
    worker = RemoteWorker("--grace-ms", "60000")
    gate = Gate(tmp_path)

    async def scenario() -> None:
        async with ChannelClient(worker, grpc=True) as client:  # type: ignore[arg-type]
            (inflight,) = await client.send(gate.frame(client))
            await gate.started()
            worker.proc.send_signal(signal.SIGTERM)
            # Readiness probes see it leave while its call still runs...
            for _ in range(200):
                if await _health(worker.address) == health_pb2.HealthCheckResponse.NOT_SERVING:
                    break
                await asyncio.sleep(0.05)
            assert await _health(worker.address) == health_pb2.HealthCheckResponse.NOT_SERVING
            assert not inflight.done()
            # ...and the call still gets its answer before the worker exits.
            gate.open()
            reply = await asyncio.wait_for(inflight, 10)
            assert reply.WhichOneof("kind") == "result"

    try:
        run(scenario())
        assert worker.proc.wait(timeout=10) == 0
    finally:
        worker.stop()


def test_a_local_worker_leaves_sigint_to_its_host(own_worker: WorkerProcess) -> None:
    own_worker.proc.send_signal(signal.SIGINT)

    async def scenario() -> object:
        async with ChannelClient(own_worker) as client:
            return await client.call_value("operator.add", 2, 3)

    assert run(scenario()) == 5  # still serving: a terminal's Ctrl-C is the host's to handle
    assert own_worker.proc.poll() is None
    # And processes started by user code get SIGINT's default action back, not SIG_IGN.
    code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"

    async def child() -> object:
        async with ChannelClient(own_worker) as client:
            return await client.call_value(
                "subprocess.check_output", [sys.executable, "-c", code], text=True
            )

    assert run(child()) == "True\n"
