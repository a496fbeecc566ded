import { connect, type Socket } from "node:net";

const EMPTY = Buffer.alloc(0);

/** Where reads land while no large buffer is being filled. */
const SCRATCH_BYTES = 256 * 1024;

/**
 * The local lane (docs/PROTOCOL.md): records on a plain unix socket, each
 * `u32 envelope length | u32 buffer count | count x u64 buffer size | envelope | buffers`.
 * Large values travel as the buffers: written with one `writev` from their memory and
 * read by the kernel straight into an allocation of their own (the socket's `onread`
 * buffer is the rest of the buffer being filled), never copied in JavaScript.
 * @private
 */
export class LaneConnection {
  private readonly socket: Socket;
  private readonly scratch: Buffer;
  /** Whether the read in progress lands in the buffer being filled (else in scratch). */
  private direct = false;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  // The record being read, once its header is known.
  private envelopeSize = -1;
  private sizes: number[] = [];
  private envelope: Uint8Array | undefined;
  private buffers: Uint8Array[] = [];
  private filling: Uint8Array | undefined;
  private filled = 0;

  private constructor(
    socket: Socket,
    scratch: Buffer,
    private readonly onRecord: (envelope: Uint8Array, buffers: Uint8Array[]) => void,
    private readonly onClose: (error: unknown) => void,
  ) {
    this.socket = socket;
    this.scratch = scratch;
    socket.on("error", (error) => this.close(error));
    socket.on("close", () => this.close(new Error("the worker closed the lane")));
  }

  /** Connects to a worker's lane socket. */
  static open(path: string, onRecord: (envelope: Uint8Array, buffers: Uint8Array[]) => void, onClose: (error: unknown) => void): Promise<LaneConnection> {
    return new Promise((resolve, reject) => {
      // Node takes the first read's buffer when the socket is made, before the lane exists.
      const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
      const made: { lane?: LaneConnection } = {};
      const socket = connect({
        path,
        onread: {
          buffer: () => (made.lane ? made.lane.readTarget() : scratch),
          callback: (n: number) => {
            made.lane?.onRead(n);
            return true; // keep reading
          },
        },
      });
      const lane = new LaneConnection(socket, scratch, onRecord, onClose);
      made.lane = lane;
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(lane);
      });
      socket.once("error", reject);
    });
  }

  /** The memory the next read fills: the rest of the buffer being filled, or scratch. */
  private readTarget(): Uint8Array {
    const target = this.filling;
    this.direct = target !== undefined;
    return target ? target.subarray(this.filled) : this.scratch;
  }

  private onRead(n: number): void {
    if (n <= 0) return;
    if (!this.direct) {
      // Scratch is reused by the next read: keep a copy of what arrived.
      this.receive(Buffer.from(this.scratch.subarray(0, n)));
      return;
    }
    this.filled += n;
    if (this.filled === this.filling!.length) {
      this.filling = undefined;
      this.receive(EMPTY);
    }
  }

  /** Sends one record. */
  send(envelope: Uint8Array, buffers: readonly Uint8Array[]): void {
    if (this.closed) return;
    const header = Buffer.allocUnsafe(8 + 8 * buffers.length);
    header.writeUInt32BE(envelope.length, 0);
    header.writeUInt32BE(buffers.length, 4);
    for (let i = 0; i < buffers.length; i++) header.writeBigUInt64BE(BigInt(buffers[i]!.byteLength), 8 + 8 * i);
    const socket = this.socket;
    if (buffers.length === 0) {
      socket.write(Buffer.concat([header, envelope]));
      return;
    }
    socket.cork();
    socket.write(header);
    socket.write(envelope);
    for (const buffer of buffers) if (buffer.byteLength) socket.write(buffer);
    socket.uncork();
  }

  /** Whether the socket keeps the event loop alive. */
  setRef(ref: boolean): void {
    if (ref) this.socket.ref();
    else this.socket.unref();
  }

  /** Bytes written but not yet taken by the kernel (backpressure). */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Closes the socket (idempotent). */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(error);
  }

  private take(n: number): Buffer {
    // Assumes buffered >= n.
    const head = this.chunks[0]!;
    if (head.length >= n) {
      const out = head.subarray(0, n);
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      this.buffered -= n;
      return out;
    }
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  private receive(chunk: Buffer): void {
    if (this.filling) {
      chunk = this.fill(chunk);
      if (this.filling) return;
    }
    if (chunk.length) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.envelopeSize < 0) {
        if (this.buffered < 8) return;
        const head = this.take(8);
        this.envelopeSize = head.readUInt32BE(0);
        this.sizes = new Array<number>(head.readUInt32BE(4));
      }
      if (this.envelope === undefined) {
        const need = 8 * this.sizes.length + this.envelopeSize;
        if (this.buffered < need) return;
        const head = this.take(need);
        for (let i = 0; i < this.sizes.length; i++) this.sizes[i] = Number(head.readBigUInt64BE(8 * i));
        // A plain Uint8Array view (not a Buffer): decoded bytes must be the same type on every transport.
        this.envelope = new Uint8Array(head.buffer, head.byteOffset + 8 * this.sizes.length, this.envelopeSize);
        this.buffers = [];
      }
      while (this.buffers.length < this.sizes.length) {
        const size = this.sizes[this.buffers.length]!;
        // Its own allocation: aligned for any TypedArray, and not pinning other data.
        const buffer = new Uint8Array(size);
        this.buffers.push(buffer);
        this.filling = buffer;
        this.filled = 0;
        const rest = this.chunks.length ? Buffer.concat(this.chunks, this.buffered) : Buffer.alloc(0);
        this.chunks = [];
        this.buffered = 0;
        const after = this.fill(rest);
        if (this.filling) return;
        if (after.length) {
          this.chunks.push(after);
          this.buffered = after.length;
        }
      }
      const envelope = this.envelope;
      const buffers = this.buffers;
      this.envelopeSize = -1;
      this.envelope = undefined;
      this.buffers = [];
      this.onRecord(envelope, buffers);
      if (this.closed) return;
    }
  }

  /** Copies what `chunk` has of the buffer being filled; returns the rest of the chunk. */
  private fill(chunk: Buffer): Buffer {
    const target = this.filling!;
    const n = Math.min(target.length - this.filled, chunk.length);
    target.set(chunk.subarray(0, n), this.filled);
    this.filled += n;
    if (this.filled === target.length) this.filling = undefined;
    return chunk.subarray(n);
  }
}
