"""Handshake, health and Describe on a real worker."""

from __future__ import annotations

import json
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import ChannelClient, WorkerProcess, run

from bridge_worker import __version__
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc


def test_ready_line(worker: WorkerProcess) -> None:
    assert worker.ready == {
        "event": "ready",
        "pid": worker.proc.pid,
        "protocol": 1,
        "grpc": worker.address,
        "socket": worker.socket,
    }
    assert worker.ready_line.endswith("\n")


def test_handshake_fills_every_field(worker: WorkerProcess) -> None:
    async def scenario() -> tuple[pb.HandshakeResponse, pb.HandshakeResponse]:
        async with grpc.aio.insecure_channel(worker.address) as channel:
            stub = pb_grpc.WorkerServiceStub(channel)
            newer = await stub.Handshake(
                pb.HandshakeRequest(protocol_version=7, host_version="test 1.0"),
                metadata=worker.metadata,
            )
            same = await stub.Handshake(
                pb.HandshakeRequest(protocol_version=1), metadata=worker.metadata
            )
            return newer, same

    newer, same = run(scenario())
    assert newer.protocol_version == 1  # min(host's, 1)
    assert same.protocol_version == 1
    assert newer.worker_version == __version__
    assert newer.python_version == ".".join(map(str, sys.version_info[:3]))
    assert newer.pid == worker.proc.pid
    assert {"channel", "batch", "refs", "cancel", "lane", "stream", "callbacks"} <= set(
        newer.capabilities
    )
    assert newer.max_threads == 16
    assert newer.heartbeat_ms == 500
    assert newer.python_executable == sys.executable
    assert list(newer.encodings) == [pb.ENCODING_MSGPACK]


@pytest.mark.parametrize("service", ["", "bridge.v1.WorkerService"])
def test_health_serving(worker: WorkerProcess, service: str) -> None:
    async def scenario() -> int:
        async with grpc.aio.insecure_channel(worker.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            return response.status

    assert run(scenario()) == health_pb2.HealthCheckResponse.SERVING


def test_health_unknown_service(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with grpc.aio.insecure_channel(worker.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await stub.Check(health_pb2.HealthCheckRequest(service="nope.Service"))
            assert info.value.code() == grpc.StatusCode.NOT_FOUND

    run(scenario())


def _describe(worker: WorkerProcess, **kw: object) -> pb.DescribeResponse:
    async def scenario() -> pb.DescribeResponse:
        async with grpc.aio.insecure_channel(worker.address) as channel:
            stub = pb_grpc.WorkerServiceStub(channel)
            return await stub.Describe(pb.DescribeRequest(**kw), metadata=worker.metadata)

    return run(scenario())


def test_describe_module(worker: WorkerProcess) -> None:
    response = _describe(worker, module="json")
    assert response.schema_version == 1
    doc = json.loads(response.descriptor_json)
    assert doc["schema_version"] == 1
    assert doc["module"] == "json"
    assert doc["python_version"].count(".") == 2
    assert doc["packages"] == {}  # the standard library has no distribution
    assert doc["warnings"] == []
    assert response.warnings == []
    (module,) = doc["modules"]
    members = {m["name"]: m for m in module["members"]}
    assert set(members) == {
        "dump",
        "dumps",
        "load",
        "loads",
        "JSONDecoder",
        "JSONDecodeError",
        "JSONEncoder",
    }  # json.__all__
    dumps = members["dumps"]
    assert dumps["kind"] == "function"
    assert dumps["source"] == "griffe"
    assert [(p["name"], p["kind"]) for p in dumps["params"][:2]] == [
        ("obj", "positional_or_keyword"),
        ("skipkeys", "keyword_only"),
    ]
    assert dumps["params"][1]["default"] == {"repr": "False", "value": False}
    assert dumps["params"][-1]["kind"] == "var_keyword"
    assert dumps["doc"]["summary"].startswith("Serialize ``obj`` to a JSON formatted ``str``")
    assert members["JSONDecoder"]["kind"] == "class"
    assert members["JSONDecoder"]["constructor"]["params"][0]["name"] == "object_hook"
    assert [m["name"] for m in members["JSONDecoder"]["methods"]] == ["decode", "raw_decode"]
    error = members["JSONDecodeError"]
    assert error["is_exception"]
    assert error["bases"] == ["builtins.ValueError"]
    # Re-exported: listed under json, defined in json.decoder.
    assert error["qualname"] == "json.JSONDecodeError"
    assert error["target"] == "json.decoder.JSONDecodeError"


def test_describe_include_exclude_depth_and_warnings(worker: WorkerProcess) -> None:
    response = _describe(worker, module="json", include=["dumps", "loads"], exclude=["loads"])
    (module,) = json.loads(response.descriptor_json)["modules"]
    assert [m["name"] for m in module["members"]] == ["dumps"]

    deep = json.loads(_describe(worker, module="json", depth=1).descriptor_json)
    names = [m["name"] for m in deep["modules"]]
    assert names[0] == "json"
    assert "json.decoder" in names
    assert "json.tool" in names  # found by walking the package, not only imported ones

    # Dotted include paths reach into submodules, and only what they name is kept.
    response = _describe(worker, module="json", depth=1, include=["decoder.JSONDecoder"])
    doc = json.loads(response.descriptor_json)
    assert [(m["name"], [x["name"] for x in m["members"]]) for m in doc["modules"]] == [
        ("json", []),
        ("json.decoder", ["JSONDecoder"]),
    ]

    # A module whose __all__ names something missing: a warning, not a failure.
    response = _describe(worker, module="bridge_testlib_partial")
    (module,) = json.loads(response.descriptor_json)["modules"]
    assert [m["name"] for m in module["members"]] == ["present"]
    assert len(response.warnings) == 1
    assert "bridge_testlib_partial.missing" in response.warnings[0]

    response = _describe(worker, module="bridge_testlib")
    assert response.warnings == []
    members = {m["name"]: m for m in json.loads(response.descriptor_json)["modules"][0]["members"]}
    cancelled = members["cancelled"]
    # The value is a counter other tests on this shared worker move.
    assert cancelled["repr"] == str(cancelled["value"])
    assert {k: v for k, v in cancelled.items() if k not in ("repr", "value")} == {
        "kind": "value",
        "name": "cancelled",
        "qualname": "bridge_testlib.cancelled",
        "type": "builtins.int",
        "annotation": None,
        "doc": {"summary": "", "description": "", "examples": []},
    }
    assert members["Custom"]["kind"] == "class"


def test_describe_typed_fixture_over_grpc(worker: WorkerProcess) -> None:
    """Schema 1 through a real worker: structured types, include paths, warnings."""
    response = _describe(
        worker,
        module="bridge_typed_fixture",
        include=["kinds", "Counter", "exploding", "sub.Helper"],
        exclude=["Counter.aadd"],
    )
    assert response.schema_version == 1
    doc = json.loads(response.descriptor_json)
    assert [(m["name"], [x["name"] for x in m["members"]]) for m in doc["modules"]] == [
        # "sub" is in __all__ and holds an included path: listed as a module reference.
        ("bridge_typed_fixture", ["Counter", "kinds", "sub"]),
        ("bridge_typed_fixture.sub", ["Helper"]),
    ]
    root = {m["name"]: m for m in doc["modules"][0]["members"]}
    assert root["kinds"]["returns"] == {
        "kind": "generic",
        "base": "builtins.dict",
        "args": [{"kind": "name", "name": "builtins.str"}, {"kind": "any"}],
    }
    assert "aadd" not in [m["name"] for m in root["Counter"]["methods"]]
    assert response.warnings == [
        "bridge_typed_fixture.exploding: reading it raised RuntimeError: exploding member"
    ]
    assert doc["warnings"] == [
        {
            "path": "bridge_typed_fixture.exploding",
            "code": "member_failed",
            "message": "reading it raised RuntimeError: exploding member",
        }
    ]


def test_describe_missing_module(worker: WorkerProcess) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        _describe(worker, module="no_such_module_for_bridge")
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no_such_module_for_bridge" in (info.value.details() or "")


def test_grpc_refuses_calls_without_the_token(worker: WorkerProcess) -> None:
    async def scenario() -> list[grpc.StatusCode]:
        codes = []
        async with grpc.aio.insecure_channel(worker.address) as channel:
            stub = pb_grpc.WorkerServiceStub(channel)
            for metadata in [(), (("authorization", "Bearer wrong"),)]:
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await stub.Handshake(pb.HandshakeRequest(protocol_version=1), metadata=metadata)
                codes.append(info.value.code())
        return codes

    assert run(scenario()) == [grpc.StatusCode.UNAUTHENTICATED] * 2


def test_describe_over_the_lane(worker: WorkerProcess) -> None:
    async def scenario() -> tuple[pb.WorkerFrame, pb.WorkerFrame]:
        async with ChannelClient(worker) as client:
            ok = await client.control(describe=pb.DescribeRequest(module="json"))
            missing = await client.control(describe=pb.DescribeRequest(module="no_such_module_x"))
            return ok, missing

    ok, missing = run(scenario())
    doc = json.loads(ok.describe.descriptor_json)
    assert doc["modules"][0]["name"] == "json"
    assert missing.error.code == pb.ERROR_CODE_NOT_FOUND
    assert "no_such_module_x" in missing.error.message
