import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  Encoding,
  ErrorCode,
  HostMessageSchema,
  InvokeOp,
  PROTOCOL_VERSION,
  WorkerMessageSchema,
  WorkerService,
} from "../src/index.js";

// The other end of the wire is the worker's Python stubs (python/bridge_worker/_gen), a
// different protobuf implementation: these tests check that both read what the other
// writes, field by field, rather than round-tripping protobuf-es through itself.
const python = process.env.BRIDGE_PYTHON!;
const pythonDir = fileURLToPath(new URL("../../../python", import.meta.url));

const PYTHON_SIDE = `
import json, sys
from google.protobuf import json_format
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb

host = pb.HostMessage.FromString(bytes.fromhex(sys.stdin.read()))
worker = pb.WorkerMessage(frames=[
    pb.WorkerFrame(id=7, result=pb.Result(value=pb.Payload(encoding=pb.ENCODING_MSGPACK, data=b"\\x05"))),
    pb.WorkerFrame(id=2**32 - 1, error=pb.Error(
        code=pb.ERROR_CODE_PYTHON_EXCEPTION,
        message="RuntimeError: boom",
        exception=pb.PythonException(
            type="builtins.RuntimeError", message="boom", traceback="Traceback ...",
            cause=pb.PythonException(type="builtins.KeyError", message="'k'"),
        ),
    )),
])
print(json.dumps({
    "host": json_format.MessageToDict(host, preserving_proto_field_name=True),
    "worker": worker.SerializeToString().hex(),
    "errorCodes": dict(pb.ErrorCode.items()),
    "invokeOps": dict(pb.InvokeOp.items()),
}))
`;

interface PythonView {
  host: unknown;
  worker: string;
  errorCodes: Record<string, number>;
  invokeOps: Record<string, number>;
}

function pythonReads(hostBytes: Uint8Array): PythonView {
  const out = execFileSync(python, ["-c", PYTHON_SIDE], {
    input: Buffer.from(hostBytes).toString("hex"),
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: pythonDir },
  });
  return JSON.parse(out) as PythonView;
}

describe("@bridge/protocol", () => {
  it("describes the worker service the pool calls", () => {
    expect(WorkerService.typeName).toBe("bridge.v1.WorkerService");
    expect(Object.fromEntries(Object.values(WorkerService.method).map((m) => [m.name, m.methodKind]))).toEqual({
      Handshake: "unary",
      Describe: "unary",
      Channel: "bidi_streaming",
      Shutdown: "unary",
    });
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it("host frames written here are read field by field by the worker's Python stubs, and worker frames back", () => {
    const args = new Uint8Array([0x92, 0x91, 0x10, 0x80]);
    const host = create(HostMessageSchema, {
      frames: [
        { id: 1, kind: { case: "invoke", value: { op: InvokeOp.CALL, target: "math.sqrt", ref: "r7", timeoutMs: 250, args: { encoding: Encoding.MSGPACK, data: args } } } },
        { id: 2, kind: { case: "cancel", value: {} } },
        { id: 0, kind: { case: "release", value: { refs: ["r1", "r2"] } } },
      ],
    });
    const seen = pythonReads(toBinary(HostMessageSchema, host));
    expect(seen.host).toEqual({
      frames: [
        {
          id: 1,
          invoke: { op: "INVOKE_OP_CALL", target: "math.sqrt", ref: "r7", timeout_ms: 250, args: { encoding: "ENCODING_MSGPACK", data: Buffer.from(args).toString("base64") } },
        },
        { id: 2, cancel: {} },
        { release: { refs: ["r1", "r2"] } }, // id 0 is the default: not on the wire
      ],
    });

    const worker = fromBinary(WorkerMessageSchema, Buffer.from(seen.worker, "hex"));
    const [result, error] = worker.frames;
    expect(result?.id).toBe(7);
    expect(result?.kind.case).toBe("result");
    if (result?.kind.case === "result") {
      expect(result.kind.value.value?.encoding).toBe(Encoding.MSGPACK);
      expect([...(result.kind.value.value?.data ?? [])]).toEqual([0x05]);
    }
    expect(error?.id).toBe(2 ** 32 - 1);
    expect(error?.kind.case).toBe("error");
    if (error?.kind.case === "error") {
      const { code, message, exception } = error.kind.value;
      expect({ code, message }).toEqual({ code: ErrorCode.PYTHON_EXCEPTION, message: "RuntimeError: boom" });
      expect([exception?.type, exception?.message, exception?.traceback]).toEqual(["builtins.RuntimeError", "boom", "Traceback ..."]);
      expect([exception?.cause?.type, exception?.cause?.message, exception?.cause?.cause]).toEqual(["builtins.KeyError", "'k'", undefined]);
    }
  });

  it("the enums have the same members and numbers on both sides", () => {
    const seen = pythonReads(new Uint8Array());
    const members = (e: Record<string, string | number>, prefix: string) =>
      Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === "number").map(([k, v]) => [`${prefix}${k}`, v]));
    expect(members(ErrorCode, "ERROR_CODE_")).toEqual(seen.errorCodes);
    expect(members(InvokeOp, "INVOKE_OP_")).toEqual(seen.invokeOps);
  });
});
