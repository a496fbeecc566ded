import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  HostMessageSchema,
  InvokeOp,
  PROTOCOL_VERSION,
  WorkerMessageSchema,
  WorkerService,
} from "../src/index.js";

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

  it("round-trips a batch of frames through the wire format", () => {
    const host = create(HostMessageSchema, {
      frames: [
        { id: 1, kind: { case: "invoke", value: { op: InvokeOp.CALL, target: "math.sqrt", args: { data: new Uint8Array([0x92, 0x91, 0x10, 0x80]) } } } },
        { id: 2, kind: { case: "cancel", value: {} } },
        { id: 0, kind: { case: "release", value: { refs: ["r1", "r2"] } } },
      ],
    });
    const decoded = fromBinary(HostMessageSchema, toBinary(HostMessageSchema, host));
    expect(decoded.frames.map((f) => f.kind.case)).toEqual(["invoke", "cancel", "release"]);
    expect(decoded.frames[0]!.id).toBe(1);

    const worker = create(WorkerMessageSchema, {
      frames: [
        {
          id: 7,
          kind: {
            case: "error",
            value: {
              code: ErrorCode.PYTHON_EXCEPTION,
              message: "boom",
              exception: { type: "builtins.RuntimeError", message: "boom", cause: { type: "builtins.KeyError", message: "'k'" } },
            },
          },
        },
      ],
    });
    const back = fromBinary(WorkerMessageSchema, toBinary(WorkerMessageSchema, worker));
    const frame = back.frames[0]!;
    expect(frame.kind.case).toBe("error");
    if (frame.kind.case === "error") expect(frame.kind.value.exception?.cause?.type).toBe("builtins.KeyError");
  });
});
