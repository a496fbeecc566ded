import { create } from "@bufbuild/protobuf";
import {
  DescribeRequestSchema,
  Encoding,
  ErrorCode,
  ErrorSchema,
  HandshakeRequestSchema,
  PROTOCOL_VERSION,
  type DescribeResponse,
  type Error as ErrorMessage,
  type HandshakeResponse,
  type Heartbeat,
} from "@bridge/protocol";
import { BridgeError, abortError, connectionError, errorFromFrame, protoFromCode } from "./bridge-error.js";
import type { ChannelTransport } from "./channel-transport.js";
import { encodeHostMessage, type HostFrame, type RawPayload, type TraceContext, type WorkerFrame } from "./wire.js";

/** What to run in Python; see docs/PROTOCOL.md. */
export interface InvokeRequest {
  /** `call` the target, `get` it, `set` it to args[0], or `iterate` it (see {@link WorkerConnection.stream}). */
  op: "call" | "get" | "set" | "iterate";
  /** `pkg.mod.qualname` / `pkg.mod:qualname`, or an attribute path on `ref`. */
  target: string;
  /** A remote ref id the target is relative to. */
  ref?: string | undefined;
  /** The encoded arguments (`[args, kwargs]` for call, `[value]` for set). */
  args?: RawPayload | undefined;
  /** Deadline passed to the worker (the host enforces it too). */
  timeoutMs?: number | undefined;
  /** The session the call belongs to: objects it creates are dropped with the session. */
  session?: string | undefined;
  /** W3C trace context for the worker to continue. */
  trace?: TraceContext | undefined;
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

/** Python called a host callback. */
export interface CallbackRequest {
  /** The callback's id (from the value that carried the function). */
  callback: string;
  /** The encoded `[args, kwargs]` (or a host iterator's request). */
  args: RawPayload;
  /** The id of the call this callback runs under (0 if none). */
  callId: number;
  /** The session of that call, if it has one: refs in the arguments belong to it. */
  session: string | undefined;
  /** The Python span's trace context, when OpenTelemetry runs in the worker. */
  trace: TraceContext | undefined;
}

/** A host callback's answer: a value, or what it threw (Python raises it as HostError). */
export type CallbackOutcome = { value: RawPayload } | { error: unknown };

/** Receives a stream's items (see {@link WorkerConnection.stream}). */
export interface StreamSink {
  /** A chunk of items: the encoded msgpack array. */
  chunk(items: RawPayload): void;
  /** The end: normal, or with the error that ended it. */
  end(error: BridgeError | undefined): void;
}

/** An open stream: grant credit, or close it. */
export interface StreamHandle {
  /** Lets the worker send `items` more items. */
  credit(items: number): void;
  /** Closes the stream (the Python iterator is closed; its `finally` runs). */
  cancel(): void;
}

type Pending =
  | { kind: "call"; session: string | undefined; resolve: (payload: RawPayload) => void; reject: (error: BridgeError) => void }
  | { kind: "stream"; sink: StreamSink }
  | { kind: "control"; resolve: (frame: WorkerFrame) => void; reject: (error: BridgeError) => void };

/** Handlers a connection calls for frames that answer no call of the host's. */
export interface ConnectionEvents {
  /** Python called a host callback on worker `workerId`; resolve with its outcome. */
  callback?: ((request: CallbackRequest, workerId: string) => Promise<CallbackOutcome>) | undefined;
  /** Python dropped these host values. */
  releaseCallbacks?: ((ids: string[]) => void) | undefined;
  /** A heartbeat arrived. */
  heartbeat?: ((heartbeat: Heartbeat) => void) | undefined;
}

const MAX_FRAMES_PER_MESSAGE = 1024;
/**
 * The most bytes a payload may take inline (its msgpack body: strings, numbers, small
 * binaries), so that its message stays under the worker's 256 MiB envelope limit; large
 * binary data travels out of band and is not counted. Both sides refuse more with
 * `resource_exhausted` (python/bridge_worker/codec.py: MAX_INLINE_BYTES).
 * @private
 */
export const MAX_INLINE_BYTES = 255 * 2 ** 20;
/** A batch is cut before its payloads' inline bytes pass this. */
const MAX_BATCH_INLINE_BYTES = 64 * 2 ** 20;

function inlineTooLarge(what: string, bytes: number): BridgeError {
  return new BridgeError(
    "resource_exhausted",
    `${what} take ${bytes} bytes inline (strings, numbers, small binaries), more than the ${MAX_INLINE_BYTES} one message carries; pass large data as a Uint8Array or another typed array, which travel out of band`,
  );
}

/** The inline payload bytes of a frame (what counts against the envelope limit). */
function inlineBytes(frame: HostFrame): number {
  if (frame.kind === "invoke") return frame.args?.data.byteLength ?? 0;
  if (frame.kind === "callback_value") return frame.value.data.byteLength;
  return 0;
}

/**
 * The host side of one worker's channel (the local lane or a gRPC Channel stream):
 * the handshake, calls and streams in flight, host callbacks, batching.
 * @private
 */
export class WorkerConnection {
  private readonly pending = new Map<number, Pending>();
  private queued: HostFrame[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private failure: BridgeError | undefined;
  /** `performance.now()` when anything last arrived from the worker. */
  lastSeen = performance.now();
  /** The latest heartbeat. */
  heartbeat: Heartbeat | undefined;
  /**
   * Called once when the channel ends or fails while not closing (the supervisor then
   * replaces the worker). Until someone sets it (during the handshake), a broken channel
   * rejects what is pending with the reason.
   */
  onBroken: (error: BridgeError) => void = (error) => this.close(error);
  /**
   * Calls the host gave up on (deadline, cancel) that may still occupy a thread in the
   * worker: until the worker's answer to them arrives, then until the next heartbeat
   * (which reports them as stuck threads if they could not be stopped). Routing counts
   * them as load, so a worker does not look idle the moment its calls time out.
   */
  private readonly abandonedOpen = new Set<number>();
  private abandonedAnswered = 0;
  private spinning = false;
  private spinUntil = 0;

  constructor(
    readonly id: string,
    private readonly transport: ChannelTransport,
    private readonly events: ConnectionEvents,
    /** After a write, keep the event loop polling (not sleeping) this long while answers are due. */
    private readonly spinUs = 0,
  ) {
    transport.start(
      (frames) => this.dispatch(frames),
      (error) => this.broken(error),
    );
  }

  /** Agrees on the protocol, proves the token and tells the worker what the host decodes. */
  async handshake(options: { token: string; capabilities: readonly string[]; maxBufferBytes: number; timeoutMs: number }): Promise<HandshakeResponse> {
    const frame = await this.control(
      (id) => ({
        kind: "handshake",
        id,
        request: create(HandshakeRequestSchema, {
          protocolVersion: PROTOCOL_VERSION,
          hostVersion: "0.1.0",
          token: options.token,
          capabilities: [...options.capabilities],
          maxBufferBytes: BigInt(options.maxBufferBytes),
        }),
      }),
      AbortSignal.timeout(options.timeoutMs),
    );
    if (frame.kind !== "handshake") throw new BridgeError("internal", `worker ${this.id} answered its handshake with a ${frame.kind} frame`);
    const response = frame.response;
    if (response.protocolVersion !== PROTOCOL_VERSION) {
      throw new BridgeError(
        "unavailable",
        `worker ${this.id} speaks protocol ${response.protocolVersion}, this host speaks ${PROTOCOL_VERSION}; install matching versions of bridge_worker and @bridge/pool`,
      );
    }
    if (!response.encodings.includes(Encoding.MSGPACK)) throw new BridgeError("unavailable", `worker ${this.id} does not accept msgpack payloads`);
    return response;
  }

  /** Number of calls and streams waiting for an answer. */
  get inflight(): number {
    return this.pending.size;
  }

  /** Calls abandoned by the host that the worker's latest heartbeat cannot count yet. */
  get abandoned(): number {
    return this.abandonedOpen.size + this.abandonedAnswered;
  }

  /** Runs one request; resolves with the encoded result. */
  invoke(request: InvokeRequest, signal: AbortSignal | undefined): Promise<RawPayload> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const inline = request.args?.data.byteLength ?? 0;
    if (inline > MAX_INLINE_BYTES) return Promise.reject(inlineTooLarge(`the arguments of ${request.target || "the call"}`, inline));
    const id = this.allocateId();
    return new Promise<RawPayload>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      if (signal) {
        onAbort = () => {
          if (this.pending.delete(id)) {
            this.abandonedOpen.add(id);
            this.enqueue({ kind: "cancel", id });
            reject(abortError(signal));
          }
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.pending.set(id, {
        kind: "call",
        session: request.session || undefined,
        resolve: onAbort
          ? (payload) => {
              signal!.removeEventListener("abort", onAbort);
              resolve(payload);
            }
          : resolve,
        reject: onAbort
          ? (error) => {
              signal!.removeEventListener("abort", onAbort);
              reject(error);
            }
          : reject,
      });
      this.enqueue({ kind: "invoke", id, ...request });
    });
  }

  /**
   * Iterates a Python object (`op: "iterate"`): items arrive at `sink` in chunks, never
   * more than the credit granted (`credit` now, more with {@link StreamHandle.credit}).
   */
  stream(request: Omit<InvokeRequest, "op">, credit: number, sink: StreamSink): StreamHandle {
    if (this.failure) {
      const failure = this.failure;
      queueMicrotask(() => sink.end(failure));
      return { credit: () => undefined, cancel: () => undefined };
    }
    const id = this.allocateId();
    this.pending.set(id, { kind: "stream", sink });
    this.enqueue({ kind: "invoke", id, op: "iterate", credit, ...request });
    return {
      credit: (items) => {
        if (this.pending.has(id) && items > 0) this.enqueue({ kind: "credit", id, items });
      },
      cancel: () => {
        if (this.pending.delete(id)) this.enqueue({ kind: "cancel", id });
      },
    };
  }

  /** Tells the worker the host no longer holds these refs. */
  release(refs: readonly string[]): void {
    if (this.failure || refs.length === 0) return;
    this.enqueue({ kind: "release", refs });
  }

  /** Tells the worker to drop every object a session's calls created. */
  releaseSession(session: string): void {
    if (!this.failure) this.enqueue({ kind: "release_session", session });
  }

  /** Describes a Python module's public API (descriptor JSON). */
  async describe(request: DescribeRequest, signal: AbortSignal | undefined): Promise<DescribeResponse> {
    const frame = await this.control(
      (id) => ({
        kind: "describe",
        id,
        request: create(DescribeRequestSchema, {
          module: request.module,
          depth: request.depth ?? 0,
          include: [...(request.include ?? [])],
          exclude: [...(request.exclude ?? [])],
        }),
      }),
      signal,
    );
    if (frame.kind !== "describe") throw new BridgeError("internal", `worker ${this.id} answered Describe with a ${frame.kind} frame`);
    return frame.response;
  }

  /** Asks the worker to drain and exit. */
  async shutdown(graceMs: number): Promise<void> {
    await this.control((id) => ({ kind: "shutdown", id, graceMs }), AbortSignal.timeout(graceMs + 2000));
  }

  /** Rejects every call in flight, ends every stream, and closes the connection. */
  close(reason: BridgeError): void {
    this.fail(reason);
    this.transport.close();
  }

  /** Whether this connection keeps the Node event loop alive. */
  setRef(ref: boolean): void {
    this.transport.setRef(ref);
  }

  /** Bytes queued to the worker and not yet written. */
  get backlogBytes(): number {
    return this.transport.pendingBytes;
  }

  private control(build: (id: number) => HostFrame, signal: AbortSignal | undefined): Promise<WorkerFrame> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.allocateId();
    return new Promise<WorkerFrame>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending.delete(id)) reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        kind: "control",
        resolve: (frame) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(frame);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      });
      this.enqueue(build(id));
    });
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
      // event loop, including continuations of results just delivered, share a record.
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const frames = this.queued;
    this.queued = [];
    if (this.failure) return;
    // Messages of at most MAX_FRAMES_PER_MESSAGE frames and (past one frame) MAX_BATCH_INLINE_BYTES inline.
    let start = 0;
    let bytes = 0;
    for (let i = 0; i <= frames.length; i++) {
      const size = i < frames.length ? inlineBytes(frames[i]!) : 0;
      const cut = i === frames.length || i - start === MAX_FRAMES_PER_MESSAGE || (i > start && bytes + size > MAX_BATCH_INLINE_BYTES);
      if (cut && i > start) {
        const { envelope, trailer } = encodeHostMessage(start === 0 && i === frames.length ? frames : frames.slice(start, i));
        this.transport.send(envelope, trailer);
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    this.spin();
  };

  /**
   * Keeps the event loop turning (setImmediate: a zero-timeout poll each turn) while
   * answers are due and keep coming, for up to `spinUs` after the last write or read,
   * instead of sleeping in the kernel. A local worker answers a small call within tens
   * of microseconds, and on virtual machines waking a sleeping CPU costs about as much
   * again; polling through that window halves a sequential call's latency and keeps a
   * stream of calls from stalling on wake-ups. It stops as soon as nothing is pending.
   */
  private spin(): void {
    if (this.spinUs <= 0 || this.pending.size === 0) return;
    this.spinUntil = performance.now() + this.spinUs / 1000;
    if (this.spinning) return;
    this.spinning = true;
    const turn = () => {
      if (this.pending.size === 0 || this.failure || performance.now() > this.spinUntil) {
        this.spinning = false;
        return;
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  }

  private dispatch(frames: WorkerFrame[]): void {
    this.lastSeen = performance.now();
    if (this.spinning) this.spinUntil = this.lastSeen + this.spinUs / 1000;
    for (const frame of frames) {
      switch (frame.kind) {
        case "heartbeat":
          this.heartbeat = frame.heartbeat;
          this.abandonedAnswered = 0;
          this.events.heartbeat?.(frame.heartbeat);
          continue;
        case "callback_request":
          this.callback(frame);
          continue;
        case "release_callbacks":
          this.events.releaseCallbacks?.(frame.ids);
          continue;
        case "stream_chunk": {
          const entry = this.pending.get(frame.id);
          if (entry?.kind === "stream") entry.sink.chunk(frame.items);
          continue;
        }
        default:
          break;
      }
      const entry = this.pending.get(frame.id);
      if (!entry) {
        // The late answer of a call cancelled or timed out already: dropped. The next
        // heartbeat is written after it, so it counts the call's thread if still stuck.
        if (this.abandonedOpen.delete(frame.id)) this.abandonedAnswered++;
        continue;
      }
      this.pending.delete(frame.id);
      if (entry.kind === "control") {
        if (frame.kind === "error") entry.reject(errorFromFrame(frame.error, { worker: this.id }));
        else entry.resolve(frame);
      } else if (entry.kind === "stream") {
        if (frame.kind === "stream_end") entry.sink.end(frame.error ? errorFromFrame(frame.error, { worker: this.id }) : undefined);
        else if (frame.kind === "error") entry.sink.end(errorFromFrame(frame.error, { worker: this.id }));
        else entry.sink.end(new BridgeError("internal", `worker ${this.id} sent a ${frame.kind} frame for stream ${frame.id}`));
      } else if (frame.kind === "result") {
        entry.resolve(frame.value);
      } else if (frame.kind === "error") {
        // The worker stopped the call (its deadline, a cancel): its thread may still be
        // stuck in it, which only the next heartbeat can tell.
        if (frame.error.code === ErrorCode.DEADLINE_EXCEEDED || frame.error.code === ErrorCode.CANCELED) this.abandonedAnswered++;
        entry.reject(errorFromFrame(frame.error, { worker: this.id }));
      } else {
        entry.reject(new BridgeError("internal", `worker ${this.id} sent a ${frame.kind} frame for call ${frame.id}`));
      }
    }
  }

  private callback(frame: Extract<WorkerFrame, { kind: "callback_request" }>): void {
    const handler = this.events.callback;
    const answer = (outcome: CallbackOutcome) => {
      if (this.failure) return;
      if ("value" in outcome && outcome.value.data.byteLength > MAX_INLINE_BYTES) {
        this.enqueue({ kind: "callback_error", id: frame.id, error: hostErrorFrame(inlineTooLarge(`the value callback ${frame.callback} returned would`, outcome.value.data.byteLength)) });
      } else if ("value" in outcome) this.enqueue({ kind: "callback_value", id: frame.id, value: outcome.value });
      else this.enqueue({ kind: "callback_error", id: frame.id, error: hostErrorFrame(outcome.error) });
    };
    if (!handler) {
      answer({ error: new BridgeError("unavailable", `this host takes no callbacks (callback ${frame.callback})`) });
      return;
    }
    const parent = this.pending.get(frame.callId);
    const session = parent?.kind === "call" ? parent.session : undefined;
    handler({ callback: frame.callback, args: frame.args, callId: frame.callId, session, trace: frame.trace }, this.id).then(answer, (error: unknown) =>
      answer({ error }),
    );
  }

  private broken(error: unknown): void {
    if (this.failure) return;
    this.onBroken(connectionError(error));
  }

  private fail(reason: BridgeError): void {
    if (!this.failure) this.failure = reason;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      if (entry.kind === "stream") entry.sink.end(reason);
      else entry.reject(reason);
    }
  }
}

/**
 * The Error frame for what a host callback threw: ERROR_CODE_HOST_EXCEPTION with the JS
 * error's name, message and stack (Python raises `bridge_worker.host.HostError`), or a
 * Bridge code for the host's own failures (a released callback: UNAVAILABLE).
 * @private
 */
export function hostErrorFrame(error: unknown): ErrorMessage {
  if (error instanceof BridgeError && error.name === "BridgeError") {
    return create(ErrorSchema, { code: protoFromCode(error.code), message: error.message, hostErrorName: "BridgeError", hostStack: error.stack ?? "" });
  }
  if (error instanceof Error) {
    return create(ErrorSchema, { code: ErrorCode.HOST_EXCEPTION, message: error.message, hostErrorName: error.name, hostStack: error.stack ?? "" });
  }
  return create(ErrorSchema, { code: ErrorCode.HOST_EXCEPTION, message: String(error), hostErrorName: typeof error });
}
