import { constants as bufferConstants } from "node:buffer";
import type { ChannelTransport } from "./channel-transport.js";
import { ChunkAssembler, chunkMessages } from "./grpc-chunks.js";
import { decodeWorkerMessage, type WorkerFrame } from "./wire.js";

/** How to reach a worker over gRPC (remote workers, or `transport: "grpc"`). */
export interface GrpcEndpoint {
  /** A gRPC target: `unix:/path`, `host:port`, `dns:///workers.svc:50051`... */
  address: string;
  /** TLS: `true` for the system's roots, or PEM strings. Default: plaintext. */
  tls?: boolean | { ca?: string; cert?: string; key?: string } | undefined;
  /** The worker's token, sent as `authorization: Bearer <token>` on every RPC. */
  token?: string | undefined;
}

type GrpcJs = typeof import("@grpc/grpc-js");

let grpcModule: Promise<GrpcJs> | undefined;

/** @grpc/grpc-js, loaded on first use: a local pool on the lane never loads it. @private */
export function loadGrpc(): Promise<GrpcJs> {
  grpcModule ??= import("@grpc/grpc-js");
  return grpcModule;
}

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A Channel stream over @grpc/grpc-js. The messages are the lane's envelopes, serialized
 * by the same code (wire.ts); payload buffers follow a message in chunks of at most
 * 1 MiB (grpc-chunks.ts); grpc-js carries the bytes as they are.
 * @private
 */
export class GrpcTransport implements ChannelTransport {
  private stream: import("@grpc/grpc-js").ClientDuplexStream<Buffer, Buffer> | undefined;
  private closed = false;

  private constructor(
    private readonly grpc: GrpcJs,
    private readonly client: import("@grpc/grpc-js").Client,
    private readonly metadata: import("@grpc/grpc-js").Metadata,
  ) {}

  /** A client for `endpoint` (no connection is made until the first RPC). */
  static async connect(endpoint: GrpcEndpoint): Promise<GrpcTransport> {
    const grpc = await loadGrpc();
    const tls = endpoint.tls;
    const credentials =
      tls === undefined || tls === false
        ? grpc.credentials.createInsecure()
        : tls === true
          ? grpc.credentials.createSsl()
          : grpc.credentials.createSsl(
              tls.ca ? Buffer.from(tls.ca) : null,
              tls.key ? Buffer.from(tls.key) : null,
              tls.cert ? Buffer.from(tls.cert) : null,
            );
    const client = new grpc.Client(endpoint.address, credentials, {
      "grpc.max_receive_message_length": -1,
      "grpc.max_send_message_length": -1,
      "grpc.keepalive_time_ms": 20_000,
      "grpc.keepalive_timeout_ms": 10_000,
      // Each slot owns its connection: a replacement never inherits a dead one's, and
      // slots on one `dns:///` name (a headless Service) spread over the addresses it
      // resolves to instead of all taking the first.
      "grpc.use_local_subchannel_pool": 1,
      "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ pick_first: { shuffleAddressList: true } }] }),
    });
    const metadata = new grpc.Metadata();
    if (endpoint.token) metadata.set("authorization", `Bearer ${endpoint.token}`);
    return new GrpcTransport(grpc, client, metadata);
  }

  /**
   * Waits until the channel is connected. With `failFast`, fails as soon as a connection
   * attempt fails (nothing listens, TLS refused) rather than letting grpc-js retry
   * quietly until the deadline: the supervisor's backoff and circuit breaker decide when
   * to try again. Without it (a pool's first start: workers may come up after their
   * host), grpc-js keeps retrying until the deadline.
   */
  waitReady(timeoutMs: number, failFast: boolean): Promise<void> {
    const { connectivityState } = this.grpc;
    const channel = this.client.getChannel();
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === connectivityState.READY) resolve();
        else if (state === connectivityState.SHUTDOWN || (failFast && state === connectivityState.TRANSIENT_FAILURE)) {
          reject(new Error("the connection failed (nothing listens there, or TLS was refused)"));
        } else {
          channel.watchConnectivityState(state, deadline, (error) => (error ? reject(new Error(`not connected within ${timeoutMs} ms`)) : check()));
        }
      };
      check();
    });
  }

  /** A unary RPC with raw bytes in and out. */
  unary(method: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Buffer>(
        `/bridge.v1.WorkerService/${method}`,
        identity,
        identity,
        Buffer.from(request.buffer, request.byteOffset, request.byteLength),
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error || !response ? reject(error ?? new Error("no response")) : resolve(new Uint8Array(response))),
      );
    });
  }

  start(onFrames: (frames: WorkerFrame[]) => void, onClose: (error: unknown) => void): void {
    const stream = this.client.makeBidiStreamRequest<Buffer, Buffer>("/bridge.v1.WorkerService/Channel", identity, identity, this.metadata);
    this.stream = stream;
    let ended = false;
    const end = (error: unknown) => {
      if (ended) return;
      ended = true;
      onClose(error);
    };
    const assembler = new ChunkAssembler(bufferConstants.MAX_LENGTH);
    stream.on("data", (message: Buffer) => {
      let whole;
      try {
        whole = assembler.push(new Uint8Array(message.buffer, message.byteOffset, message.byteLength));
      } catch (error) {
        stream.cancel();
        end(error);
        return;
      }
      if (whole) onFrames(decodeWorkerMessage(whole.envelope, whole.buffers));
    });
    stream.on("error", (error) => end(error));
    stream.on("end", () => end(new Error("the worker ended its Channel stream")));
    stream.on("close", () => end(new Error("the Channel stream closed")));
  }

  send(envelope: Uint8Array, trailer: readonly Uint8Array[]): void {
    if (this.closed || !this.stream) return;
    for (const message of chunkMessages(envelope, trailer)) this.stream.write(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  }

  get pendingBytes(): number {
    return this.stream?.writableLength ?? 0;
  }

  setRef(_ref: boolean): void {
    // grpc-js channels do not hold the event loop open while idle.
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.cancel();
    this.client.close();
  }
}
