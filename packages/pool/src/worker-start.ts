import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { HandshakeResponse } from "@bridge/protocol";
import { BridgeError } from "./bridge-error.js";
import { LaneTransport, type ChannelTransport } from "./channel-transport.js";
import { GrpcTransport, type GrpcEndpoint } from "./grpc-transport.js";
import { WorkerConnection, type ConnectionEvents, type InvokeRequest } from "./worker-connection.js";
import { WorkerProcess } from "./worker-process.js";
import type { RawPayload } from "./wire.js";

/** What the pool knows about one worker. */
export interface WorkerInfo {
  /** Unique for the pool's lifetime: a replacement worker gets a new id. */
  readonly id: string;
  /** The slot this worker fills, 0..size-1. */
  readonly slot: number;
  /** The worker's process id (on its own machine, for a remote worker). */
  readonly pid: number;
  /** Python version reported by the handshake, e.g. "3.11.7". */
  readonly pythonVersion: string;
  /** bridge_worker's version. */
  readonly workerVersion: string;
  /** How calls travel to this worker. */
  readonly transport: "lane" | "grpc";
  /** How many threads may run user code at once in it. */
  readonly maxThreads: number;
  /** The gRPC address of a remote worker (undefined for a local one). */
  readonly address?: string | undefined;
}

/** A started, handshaken, set-up worker. @private */
export interface StartedWorker {
  info: WorkerInfo;
  connection: WorkerConnection;
  /** The local process (undefined for a remote worker). */
  process: WorkerProcess | undefined;
  handshake: HandshakeResponse;
}

/** What starting a worker needs. @private */
export interface StartOptions {
  id: string;
  slot: number;
  python: string;
  runDir: string;
  workerPath: string | undefined;
  env: Readonly<Record<string, string>>;
  cwd: string | undefined;
  threads: number | undefined;
  heartbeatMs: number;
  /** Host-side polling window after a write on the lane (see WorkerConnection), and the worker's. */
  spinUs: number;
  startTimeoutMs: number;
  transport: "auto" | "grpc";
  capabilities: readonly string[];
  maxBufferBytes: number;
  events: ConnectionEvents;
  onLog: (line: string, info: WorkerInfo | undefined) => void;
  setup: ((worker: WorkerInfo, invoke: (request: InvokeRequest, signal?: AbortSignal) => Promise<RawPayload>) => Promise<void>) | undefined;
}

function infoFrom(options: StartOptions, hello: HandshakeResponse, transport: "lane" | "grpc", address?: string): WorkerInfo {
  return {
    id: options.id,
    slot: options.slot,
    pid: hello.pid,
    pythonVersion: hello.pythonVersion,
    workerVersion: hello.workerVersion,
    transport,
    maxThreads: hello.maxThreads || 1,
    ...(address ? { address } : {}),
  };
}

async function handshaken(
  options: StartOptions,
  transport: ChannelTransport,
  token: string,
  kind: "lane" | "grpc",
  address: string | undefined,
): Promise<{ connection: WorkerConnection; hello: HandshakeResponse; info: WorkerInfo }> {
  const connection = new WorkerConnection(options.id, transport, options.events, kind === "lane" ? options.spinUs : 0);
  try {
    const hello = await connection.handshake({
      token,
      capabilities: options.capabilities,
      maxBufferBytes: options.maxBufferBytes,
      timeoutMs: options.startTimeoutMs,
    });
    return { connection, hello, info: infoFrom(options, hello, kind, address) };
  } catch (error) {
    connection.close(BridgeError.from(error, "unavailable"));
    throw new BridgeError("unavailable", `worker ${options.id} did not answer its handshake: ${errorText(error)}`, { cause: error });
  }
}

async function runSetup(options: StartOptions, info: WorkerInfo, connection: WorkerConnection): Promise<void> {
  if (!options.setup) return;
  try {
    await options.setup(info, (request, signal) => connection.invoke(request, signal));
  } catch (error) {
    throw new BridgeError("unavailable", `the setup of worker ${options.id} failed: ${errorText(error)}`, {
      cause: error,
      details: { worker: options.id },
    });
  }
}

/**
 * Spawns a local worker, connects (the lane, or gRPC with `transport: "grpc"`), proves
 * its token, and runs the setup hook. A worker that fails any step is killed.
 * @private
 */
export async function startLocalWorker(options: StartOptions): Promise<StartedWorker> {
  const token = randomBytes(24).toString("base64url");
  const socketPath = join(options.runDir, `${options.id}.sock`);
  let info: WorkerInfo | undefined;
  const process_ = await WorkerProcess.spawn({
    id: options.id,
    python: options.python,
    socketPath,
    grpc: options.transport === "grpc",
    workerPath: options.workerPath,
    env: options.env,
    cwd: options.cwd,
    threads: options.threads,
    heartbeatMs: options.heartbeatMs,
    spinUs: options.spinUs,
    token,
    startTimeoutMs: options.startTimeoutMs,
    onLog: (line) => options.onLog(line, info),
  });
  try {
    let transport: ChannelTransport;
    let kind: "lane" | "grpc" = "lane";
    if (options.transport === "grpc") {
      const address = process_.ready?.grpc ?? `unix:${socketPath}.grpc`;
      transport = await GrpcTransport.connect({ address, token });
      kind = "grpc";
    } else {
      transport = await LaneTransport.open(socketPath);
    }
    const started = await handshaken(options, transport, token, kind, undefined);
    info = started.info;
    try {
      await runSetup(options, started.info, started.connection);
    } catch (error) {
      started.connection.close(BridgeError.from(error, "unavailable"));
      throw error;
    }
    return { info: started.info, connection: started.connection, process: process_, handshake: started.hello };
  } catch (error) {
    process_.kill("SIGKILL");
    throw error;
  }
}

/**
 * Connects to a worker someone else started (`python -m bridge_worker serve`), over gRPC.
 * `initial`: the pool's first start, which waits up to `startTimeoutMs` for it to listen.
 * @private
 */
export async function connectRemoteWorker(options: StartOptions, endpoint: GrpcEndpoint, initial: boolean): Promise<StartedWorker> {
  const transport = await GrpcTransport.connect(endpoint);
  try {
    // A pool's first start waits for workers that come up after their host (a rollout);
    // a reconnection fails fast and lets the supervisor's backoff and breaker pace it.
    await transport.waitReady(options.startTimeoutMs, !initial);
  } catch (error) {
    transport.close();
    throw new BridgeError("unavailable", `remote worker ${options.id} at ${endpoint.address} is not reachable: ${errorText(error)}`, { cause: error });
  }
  const started = await handshaken(options, transport, endpoint.token ?? "", "grpc", endpoint.address);
  try {
    await runSetup(options, started.info, started.connection);
  } catch (error) {
    started.connection.close(BridgeError.from(error, "unavailable"));
    throw error;
  }
  return { info: started.info, connection: started.connection, process: undefined, handshake: started.hello };
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error instanceof BridgeError ? error.rawMessage : error.message) : String(error);
}
