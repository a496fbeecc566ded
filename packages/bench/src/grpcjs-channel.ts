import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { bundledWorkerPath } from "@bridge/pool";
import {
  Encoding,
  HostFrameSchema,
  HostMessageSchema,
  InvokeOp,
  WorkerMessageSchema,
  type HostFrame,
  type HostMessage,
  type WorkerMessage,
} from "@bridge/protocol";
import { pack, unpack } from "msgpackr";
import type { CallFn } from "./measure.js";

/**
 * The same Channel protocol and batching as @bridge/pool, over @grpc/grpc-js instead
 * of @connectrpc/connect-node: kept to justify the transport choice with numbers.
 */
export async function startGrpcJsChannel(python: string): Promise<{ call: CallFn; close: () => void }> {
  const socket = join(mkdtempSync(join(tmpdir(), "bridge-bench-")), "w.sock");
  const child: ChildProcess = spawn(python, ["-m", "bridge_worker", "--socket", socket], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, PYTHONPATH: bundledWorkerPath() },
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", () => resolve());
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  });
  const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
  const stream = client.makeBidiStreamRequest<HostMessage, WorkerMessage>(
    "/bridge.v1.WorkerService/Channel",
    (m) => Buffer.from(toBinary(HostMessageSchema, m)),
    (b) => fromBinary(WorkerMessageSchema, b),
  );
  const pending = new Map<number, (value: unknown) => void>();
  stream.on("data", (message: WorkerMessage) => {
    for (const frame of message.frames) {
      if (frame.kind.case === "result") pending.get(frame.id)?.(unpack(frame.kind.value.value!.data));
      pending.delete(frame.id);
    }
  });
  let queued: HostFrame[] = [];
  let scheduled = false;
  let nextId = 1;
  const flush = () => {
    scheduled = false;
    stream.write(create(HostMessageSchema, { frames: queued }));
    queued = [];
  };
  return {
    call: (a, b) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        queued.push(
          create(HostFrameSchema, {
            id,
            kind: {
              case: "invoke",
              value: { op: InvokeOp.CALL, target: "operator.add", args: { encoding: Encoding.MSGPACK, data: pack([[a, b], {}]) } },
            },
          }),
        );
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }),
    close: () => {
      stream.end();
      client.close();
      child.kill();
    },
  };
}
