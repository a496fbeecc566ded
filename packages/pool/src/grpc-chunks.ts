import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/**
 * How a message and its out-of-band buffers travel on a gRPC Channel stream
 * (docs/PROTOCOL.md): the message itself, with `buffer_sizes` (field 2) listing the
 * buffers, then the buffers' bytes in `chunk` (field 3) messages of at most
 * {@link CHUNK_BYTES}. So no gRPC message is larger than a chunk plus the frames, whatever
 * the size of a value (protobuf's 2 GiB limit, proxies' message limits), and the lane
 * and gRPC carry the same envelope and buffers.
 * @private
 */
export const CHUNK_BYTES = 1 << 20;

const SIZES = 2;
const CHUNK = 3;

/** The gRPC messages that carry `envelope` (a serialized Host/WorkerMessage) and `buffers`. */
export function chunkMessages(envelope: Uint8Array, buffers: readonly Uint8Array[]): Uint8Array[] {
  if (buffers.length === 0) return [envelope];
  const sizes = new BinaryWriter().tag(SIZES, WireType.LengthDelimited).fork();
  for (const buffer of buffers) sizes.uint64(buffer.byteLength);
  const trailer = sizes.join().finish();
  const first = new Uint8Array(envelope.byteLength + trailer.byteLength);
  first.set(envelope, 0);
  first.set(trailer, envelope.byteLength);
  const messages = [first];
  for (const buffer of buffers) {
    for (let at = 0; at < buffer.byteLength; at += CHUNK_BYTES) {
      const piece = buffer.subarray(at, Math.min(at + CHUNK_BYTES, buffer.byteLength));
      const head = new BinaryWriter().tag(CHUNK, WireType.LengthDelimited).uint32(piece.byteLength).finish();
      const message = new Uint8Array(head.byteLength + piece.byteLength);
      message.set(head, 0);
      message.set(piece, head.byteLength);
      messages.push(message);
    }
  }
  return messages;
}

/**
 * Puts messages and their buffers back together from a Channel stream's messages:
 * `push` returns a complete (envelope, buffers) once its last chunk arrived.
 * @private
 */
export class ChunkAssembler {
  private envelope: Uint8Array | undefined;
  private buffers: Uint8Array[] = [];
  private index = 0;
  private filled = 0;

  constructor(private readonly maxBufferBytes: number) {}

  push(message: Uint8Array): { envelope: Uint8Array; buffers: Uint8Array[] } | undefined {
    const { sizes, chunk } = scan(message);
    if (chunk !== undefined) return this.fill(chunk);
    if (this.envelope !== undefined) throw new Error("a gRPC message arrived before the buffers of the previous one were complete");
    if (sizes.length === 0) return { envelope: message, buffers: [] };
    for (const size of sizes) {
      if (size > this.maxBufferBytes) throw new Error(`a buffer of ${size} bytes exceeds this host's limit of ${this.maxBufferBytes} bytes`);
    }
    this.envelope = message;
    this.buffers = sizes.map((size) => new Uint8Array(size));
    this.index = 0;
    this.filled = 0;
    this.skipFilled(); // empty buffers need no chunk
    return this.take();
  }

  private fill(chunk: Uint8Array): { envelope: Uint8Array; buffers: Uint8Array[] } | undefined {
    if (this.envelope === undefined) throw new Error("a gRPC chunk arrived that no message announced");
    let at = 0;
    while (at < chunk.byteLength) {
      const target = this.buffers[this.index];
      if (target === undefined) throw new Error("a gRPC chunk runs past the buffers its message announced");
      const n = Math.min(target.byteLength - this.filled, chunk.byteLength - at);
      target.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      this.skipFilled();
    }
    return this.take();
  }

  private skipFilled(): void {
    while (this.index < this.buffers.length && this.filled === this.buffers[this.index]!.byteLength) {
      this.index++;
      this.filled = 0;
    }
  }

  /** The message, once all its buffers are filled. */
  private take(): { envelope: Uint8Array; buffers: Uint8Array[] } | undefined {
    if (this.envelope === undefined || this.index < this.buffers.length) return undefined;
    const out = { envelope: this.envelope, buffers: this.buffers };
    this.envelope = undefined;
    this.buffers = [];
    return out;
  }
}

function scan(message: Uint8Array): { sizes: number[]; chunk: Uint8Array | undefined } {
  const r = new BinaryReader(message);
  const sizes: number[] = [];
  let chunk: Uint8Array | undefined;
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === SIZES && type === WireType.LengthDelimited) {
      const end = r.uint32() + r.pos;
      while (r.pos < end) sizes.push(Number(r.uint64()));
    } else if (field === SIZES && type === WireType.Varint) sizes.push(Number(r.uint64()));
    else if (field === CHUNK && type === WireType.LengthDelimited) chunk = r.bytes();
    else r.skip(type);
  }
  return { sizes, chunk };
}
