import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, ChunkAssembler, chunkMessages } from "../src/grpc-chunks.js";

const envelope = new Uint8Array([0x0a, 0x02, 0x08, 0x03]); // HostMessage{frames: [{id: 3}]}

describe("gRPC chunks", () => {
  it("carry buffers of any size in pieces of at most 1 MiB, and put them back together", () => {
    const big = Uint8Array.from({ length: 3 * CHUNK_BYTES + 1234 }, (_, i) => i % 251);
    const buffers = [big, new Uint8Array(0), new Uint8Array([7, 8, 9])];
    const messages = chunkMessages(envelope, buffers);
    expect(messages.length).toBe(1 + 4 + 1);
    for (const message of messages.slice(1)) expect(message.byteLength).toBeLessThanOrEqual(CHUNK_BYTES + 8);
    const assembler = new ChunkAssembler(2 ** 40);
    const outcomes = messages.map((m) => assembler.push(m));
    expect(outcomes.slice(0, -1).every((o) => o === undefined)).toBe(true);
    const whole = outcomes.at(-1)!;
    expect([...whole.envelope.subarray(0, envelope.length)]).toEqual([...envelope]);
    expect(whole.buffers.map((b) => b.byteLength)).toEqual([big.byteLength, 0, 3]);
    expect(Buffer.from(whole.buffers[0]!).equals(Buffer.from(big))).toBe(true);
    expect([...whole.buffers[2]!]).toEqual([7, 8, 9]);
  });

  it("a message without buffers is one message, complete at once", () => {
    const messages = chunkMessages(envelope, []);
    expect(messages).toEqual([envelope]);
    expect(new ChunkAssembler(10).push(envelope)).toEqual({ envelope, buffers: [] });
  });

  it("refuses chunks nobody announced, pieces past the end and buffers over the limit", () => {
    const [first, chunk] = chunkMessages(envelope, [new Uint8Array([1, 2])]);
    expect(() => new ChunkAssembler(10).push(chunk!)).toThrow(/no message announced/);
    expect(() => new ChunkAssembler(1).push(first!)).toThrow(/exceeds this host's limit of 1 bytes/);
    const assembler = new ChunkAssembler(10);
    assembler.push(chunkMessages(envelope, [new Uint8Array(1)])[0]!);
    expect(() => assembler.push(chunk!)).toThrow(/runs past/);
  });
});
