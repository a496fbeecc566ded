import { connect as netConnect, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  HostFrameSchema,
  HostMessageSchema,
  InvokeOp,
  PROTOCOL_VERSION,
  Encoding,
  WorkerService,
  type DescribeResponse,
  type HandshakeResponse,
  type HostFrame,
  type HostMessage,
  type WorkerMessage,
} from "@bridge/protocol";
import { BridgeError, abortError, errorFromFrame } from "./bridge-error.js";
import { PushIterable } from "./frame-queue.js";
import { LaneConnection, lanePath } from "./lane-connection.js";

/** What to run in Python; see docs/PROTOCOL.md. */
export interface InvokeRequest {
  /** `call` the target, `get` it, or `set` it to args[0]. */
  op: "call" | "get" | "set";
  /** `pkg.mod.qualname` / `pkg.mod:qualname`, or an attribute path on `ref`. */
  target: string;
  /** A remote ref id the target is relative to. */
  ref?: string | undefined;
  /** The msgpack-encoded arguments (`[args, kwargs]` for call, `[value]` for set). */
  args?: Uint8Array | undefined;
  /** Deadline passed to the worker (the host enforces it too). */
  timeoutMs?: number | undefined;
}

/** What to describe; see the Describe RPC. */
export interface DescribeRequest {
  /** Importable module name, e.g. "json". */
  module: string;
  /** How deep to descend into submodules (0 = this module only). */
  depth?: number;
  /** Names (or dotted submodule paths) to keep; empty keeps every public name. */
  include?: readonly string[];
  /** Names to drop. */
  exclude?: readonly string[];
}

interface PendingCall {
  resolve: (data: Uint8Array) => void;
  reject: (error: BridgeError) => void;
}

const opToProto = { call: InvokeOp.CALL, get: InvokeOp.GET, set: InvokeOp.SET } as const;
const MAX_FRAMES_PER_MESSAGE = 1024;

/**
 * The host side of one worker's gRPC connection: handshake, the multiplexed
 * Channel with batching, and the calls in flight on it.
 * @private
 */
export class WorkerClient {
  private readonly client: Client<typeof WorkerService>;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Map<number, PendingCall>();
  private readonly outbox = new PushIterable<HostMessage>();
  private queued: HostFrame[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private failure: BridgeError | undefined;
  private readonly abort = new AbortController();
  private referenced = true;
  private lane: LaneConnection | undefined;
  /** Called once when the channel ends or fails while not closing. */
  onBroken: (error: unknown) => void = () => undefined;

  constructor(
    private readonly id: string,
    private readonly socketPath: string,
  ) {
    const transport = createGrpcTransport({
      baseUrl: "http://localhost",
      nodeOptions: {
        createConnection: () => {
          const socket = netConnect(socketPath);
          this.sockets.add(socket);
          socket.once("close", () => this.sockets.delete(socket));
          if (!this.referenced) socket.unref();
          return socket;
        },
      },
      // The worker is local and supervised; no keep-alive pings needed.
      idleConnectionTimeoutMs: 2 ** 31 - 1,
    });
    this.client = createClient(WorkerService, transport);
  }

  /** Agrees on the protocol version and learns about the worker. */
  async handshake(timeoutMs: number): Promise<HandshakeResponse> {
    const response = await this.client.handshake(
      { protocolVersion: PROTOCOL_VERSION, hostVersion: "0.1.0" },
      { timeoutMs },
    );
    if (response.protocolVersion !== PROTOCOL_VERSION) {
      throw new BridgeError(
        "unavailable",
        `worker ${this.id} speaks protocol ${response.protocolVersion}, this host speaks ${PROTOCOL_VERSION}; install matching versions of bridge_worker and @bridge/pool`,
      );
    }
    if (!response.encodings.includes(Encoding.MSGPACK)) {
      throw new BridgeError("unavailable", `worker ${this.id} does not accept msgpack payloads`);
    }
    return response;
  }

  /**
   * Opens the call stream and starts reading replies: the local lane when the worker
   * offers it and `useLane` is set, else the gRPC Channel. Resolves with the one used.
   */
  async openChannel(useLane: boolean): Promise<"lane" | "grpc"> {
    if (useLane) {
      this.lane = await LaneConnection.open(
        lanePath(this.socketPath),
        (message) => this.dispatch(message),
        (error) => this.broken(error ?? new BridgeError("unavailable", `worker ${this.id} closed its lane`)),
      );
      this.lane.setRef(this.referenced);
      void (async () => {
        for await (const message of this.outbox) this.lane?.send(message);
      })();
      return "lane";
    }
    const replies = this.client.channel(this.outbox, { signal: this.abort.signal });
    void (async () => {
      try {
        for await (const message of replies) this.dispatch(message);
        this.broken(new BridgeError("unavailable", `worker ${this.id} closed its channel`));
      } catch (error) {
        this.broken(error);
      }
    })();
    return "grpc";
  }

  /** Number of calls waiting for a reply. */
  get inflight(): number {
    return this.pending.size;
  }

  /** Sends an Invoke; resolves with the encoded result. */
  invoke(request: InvokeRequest, signal: AbortSignal | undefined): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.allocateId();
    return new Promise<Uint8Array>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      if (signal) {
        onAbort = () => {
          if (this.pending.delete(id)) {
            this.enqueue(create(HostFrameSchema, { id, kind: { case: "cancel", value: {} } }));
            reject(abortError(signal));
          }
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.pending.set(id, {
        resolve: (data) => {
          if (onAbort) signal!.removeEventListener("abort", onAbort);
          resolve(data);
        },
        reject: (error) => {
          if (onAbort) signal!.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      this.enqueue(
        create(HostFrameSchema, {
          id,
          kind: {
            case: "invoke",
            value: {
              op: opToProto[request.op],
              target: request.target,
              ref: request.ref ?? "",
              timeoutMs: request.timeoutMs ?? 0,
              ...(request.args ? { args: { encoding: Encoding.MSGPACK, data: request.args } } : {}),
            },
          },
        }),
      );
    });
  }

  /** Tells the worker the host no longer holds these refs. */
  release(refs: readonly string[]): void {
    if (this.failure || refs.length === 0) return;
    this.enqueue(create(HostFrameSchema, { id: 0, kind: { case: "release", value: { refs: [...refs] } } }));
  }

  /** Describes a Python module's public API (descriptor JSON). */
  describe(request: DescribeRequest, options: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined }): Promise<DescribeResponse> {
    return this.client.describe(
      { module: request.module, depth: request.depth ?? 0, include: [...(request.include ?? [])], exclude: [...(request.exclude ?? [])] },
      { ...(options.signal ? { signal: options.signal } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
    );
  }

  /** Asks the worker to drain and exit. */
  async shutdown(graceMs: number): Promise<void> {
    await this.client.shutdown({ graceMs }, { timeoutMs: graceMs + 2000 });
  }

  /** Rejects every call in flight and closes the connection. */
  close(reason: BridgeError): void {
    this.fail(reason);
    this.outbox.end();
    this.abort.abort();
    this.lane?.close();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Whether this connection keeps the Node event loop alive. */
  setRef(ref: boolean): void {
    this.referenced = ref;
    // eslint-disable-next-line @typescript-eslint/no-unused-expressions -- this file is being rewritten (P5)
    for (const socket of this.sockets) (ref ? socket.ref() : socket.unref());
    this.lane?.setRef(ref);
  }

  private allocateId(): number {
    let id = this.nextId;
    // ids wrap at 2^32; 0 is reserved for frames that expect no reply.
    while (id === 0 || this.pending.has(id)) id = (id + 1) >>> 0;
    this.nextId = (id + 1) >>> 0;
    return id;
  }

  private enqueue(frame: HostFrame): void {
    this.queued.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate (not a microtask) lets every call issued in this turn of the
      // event loop, including continuations of results just delivered, share a message.
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const frames = this.queued;
    this.queued = [];
    for (let i = 0; i < frames.length; i += MAX_FRAMES_PER_MESSAGE) {
      this.outbox.push(create(HostMessageSchema, { frames: frames.slice(i, i + MAX_FRAMES_PER_MESSAGE) }));
    }
  };

  private dispatch(message: WorkerMessage): void {
    for (const frame of message.frames) {
      const call = this.pending.get(frame.id);
      if (!call) continue; // cancelled or timed out already
      this.pending.delete(frame.id);
      switch (frame.kind.case) {
        case "result":
          call.resolve(frame.kind.value.value?.data ?? new Uint8Array());
          break;
        case "error":
          call.reject(errorFromFrame(frame.kind.value, { worker: this.id }));
          break;
        default:
          call.reject(new BridgeError("internal", `worker ${this.id} sent an unknown frame for call ${frame.id}`));
      }
    }
  }

  private broken(error: unknown): void {
    if (this.failure) return;
    this.onBroken(error);
  }

  private fail(reason: BridgeError): void {
    if (!this.failure) this.failure = reason;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(reason);
  }
}
