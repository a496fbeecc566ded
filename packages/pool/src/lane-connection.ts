import { connect, type Socket } from "node:net";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { HostMessageSchema, WorkerMessageSchema, type HostMessage, type WorkerMessage } from "@bridge/protocol";

/** Where a worker offering the "lane" capability listens, next to its gRPC socket. */
export function lanePath(socketPath: string): string {
  return `${socketPath}.lane`;
}

/**
 * The local lane (docs/PROTOCOL.md): the Channel's messages as 4-byte big-endian
 * length-prefixed protobuf frames on a plain unix socket, skipping HTTP/2 and gRPC's
 * per-message cost. Used for local workers; gRPC stays the control plane.
 * @private
 */
export class LaneConnection {
  private readonly socket: Socket;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;

  private constructor(
    socket: Socket,
    private readonly onMessage: (message: WorkerMessage) => void,
    private readonly onClose: (error: unknown) => void,
  ) {
    this.socket = socket;
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.close(error));
    socket.on("close", () => this.close(new Error("the worker closed the lane")));
  }

  /** Connects to a worker's lane socket. */
  static open(
    path: string,
    onMessage: (message: WorkerMessage) => void,
    onClose: (error: unknown) => void,
  ): Promise<LaneConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new LaneConnection(socket, onMessage, onClose));
      });
      socket.once("error", reject);
    });
  }

  /** Sends one HostMessage. */
  send(message: HostMessage): void {
    const body = toBinary(HostMessageSchema, message);
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    frame.set(body, 4);
    this.socket.write(frame);
  }

  /** Whether the socket keeps the event loop alive. */
  setRef(ref: boolean): void {
    if (ref) this.socket.ref();
    else this.socket.unref();
  }

  /** Closes the socket (idempotent). */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(error);
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      let head = this.chunks[0]!;
      if (head.length < 4) head = this.flatten();
      const size = head.readUInt32BE(0);
      if (this.buffered < 4 + size) return;
      if (head.length < 4 + size) head = this.flatten();
      // A plain Uint8Array view (not a Buffer): decoded `bytes` must be the same type on every transport.
      const body = new Uint8Array(head.buffer, head.byteOffset + 4, size);
      const rest = head.subarray(4 + size);
      this.chunks[0] = rest;
      if (rest.length === 0) this.chunks.shift();
      this.buffered -= 4 + size;
      let message: WorkerMessage;
      try {
        message = fromBinary(WorkerMessageSchema, body);
      } catch (error) {
        this.close(error);
        return;
      }
      this.onMessage(message);
    }
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
