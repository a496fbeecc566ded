import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  DescribeRequestSchema,
  DescribeResponseSchema,
  Encoding,
  ErrorSchema,
  HandshakeRequestSchema,
  HandshakeResponseSchema,
  HeartbeatSchema,
  InvokeOp,
  ShutdownRequestSchema,
  StreamEndSchema,
  type DescribeRequest as DescribeRequestMessage,
  type DescribeResponse,
  type Error as ErrorMessage,
  type HandshakeRequest,
  type HandshakeResponse,
  type Heartbeat,
} from "@bridge/protocol";

/**
 * The Channel's frames, written and read with protobuf-es's own wire writer and reader
 * for the frames every call makes (Invoke, Result), so a call costs no reflection;
 * the rare frames go through the generated schemas. The bytes are exactly protobuf's
 * (wire.test.ts checks against `toBinary`/`fromBinary`).
 *
 * Payload buffers are out of band on every transport: in the message each is an empty
 * `buffers` entry, and its bytes travel after the message, in frame order: in the lane
 * record after the envelope, on gRPC in `chunk` messages (docs/PROTOCOL.md).
 * @private
 */

/** An encoded value: msgpack `data` and its out-of-band buffers. */
export interface RawPayload {
  data: Uint8Array;
  buffers: Uint8Array[];
}

/** W3C trace context carried with a call. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** A frame from host to worker. @private */
export type HostFrame =
  | {
      kind: "invoke";
      id: number;
      op: "call" | "get" | "set" | "iterate";
      target: string;
      ref?: string | undefined;
      args?: RawPayload | undefined;
      timeoutMs?: number | undefined;
      session?: string | undefined;
      trace?: TraceContext | undefined;
      credit?: number | undefined;
    }
  | { kind: "cancel"; id: number }
  | { kind: "release"; refs: readonly string[] }
  | { kind: "callback_value"; id: number; value: RawPayload }
  | { kind: "callback_error"; id: number; error: ErrorMessage }
  | { kind: "credit"; id: number; items: number }
  | { kind: "release_session"; session: string }
  | { kind: "handshake"; id: number; request: HandshakeRequest }
  | { kind: "describe"; id: number; request: DescribeRequestMessage }
  | { kind: "shutdown"; id: number; graceMs: number };

/** A frame from worker to host. @private */
export type WorkerFrame =
  | { kind: "result"; id: number; value: RawPayload }
  | { kind: "error"; id: number; error: ErrorMessage }
  | { kind: "stream_chunk"; id: number; items: RawPayload }
  | { kind: "stream_end"; id: number; error: ErrorMessage | undefined }
  | { kind: "callback_request"; id: number; callback: string; args: RawPayload; callId: number; trace: TraceContext | undefined }
  | { kind: "heartbeat"; heartbeat: Heartbeat }
  | { kind: "release_callbacks"; ids: string[] }
  | { kind: "handshake"; id: number; response: HandshakeResponse }
  | { kind: "describe"; id: number; response: DescribeResponse }
  | { kind: "shutdown"; id: number }
  | { kind: "unknown"; id: number };

const OPS = { call: InvokeOp.CALL, get: InvokeOp.GET, set: InvokeOp.SET, iterate: InvokeOp.ITERATE } as const;
const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const EMPTY: Uint8Array = new Uint8Array(0);

function payload(w: BinaryWriter, field: number, p: RawPayload, trailer: Uint8Array[]): void {
  w.tag(field, LEN).fork();
  w.tag(1, VARINT).uint32(Encoding.MSGPACK);
  if (p.data.length) w.tag(2, LEN).bytes(p.data);
  for (const buffer of p.buffers) {
    w.tag(3, LEN).bytes(EMPTY);
    trailer.push(buffer);
  }
  w.join();
}

function frameId(w: BinaryWriter, id: number): void {
  if (id) w.tag(1, VARINT).uint32(id);
}

function submessage(w: BinaryWriter, field: number, bytes: Uint8Array): void {
  w.tag(field, LEN).bytes(bytes);
}

const writer = new BinaryWriter();

/**
 * One serialized HostMessage holding `frames`, and (lane) the buffers that follow it.
 * @private
 */
export function encodeHostMessage(frames: readonly HostFrame[]): { envelope: Uint8Array; trailer: Uint8Array[] } {
  const w = writer;
  const trailer: Uint8Array[] = [];
  for (const f of frames) {
    w.tag(1, LEN).fork();
    switch (f.kind) {
      case "invoke": {
        frameId(w, f.id);
        w.tag(2, LEN).fork();
        w.tag(1, VARINT).uint32(OPS[f.op]);
        if (f.target) w.tag(2, LEN).string(f.target);
        if (f.ref) w.tag(3, LEN).string(f.ref);
        if (f.args) payload(w, 4, f.args, trailer);
        if (f.timeoutMs) w.tag(5, VARINT).uint32(Math.min(0xffffffff, Math.ceil(f.timeoutMs)));
        if (f.session) w.tag(6, LEN).string(f.session);
        if (f.trace) {
          w.tag(7, LEN).fork();
          if (f.trace.traceparent) w.tag(1, LEN).string(f.trace.traceparent);
          if (f.trace.tracestate) w.tag(2, LEN).string(f.trace.tracestate);
          w.join();
        }
        if (f.credit) w.tag(8, VARINT).uint32(f.credit);
        w.join();
        break;
      }
      case "cancel":
        frameId(w, f.id);
        w.tag(3, LEN).uint32(0);
        break;
      case "release":
        w.tag(4, LEN).fork();
        for (const ref of f.refs) w.tag(1, LEN).string(ref);
        w.join();
        break;
      case "callback_value":
        frameId(w, f.id);
        w.tag(5, LEN).fork();
        payload(w, 1, f.value, trailer);
        w.join();
        break;
      case "callback_error":
        frameId(w, f.id);
        w.tag(5, LEN).fork();
        submessage(w, 2, toBinary(ErrorSchema, f.error));
        w.join();
        break;
      case "credit":
        frameId(w, f.id);
        w.tag(6, LEN).fork();
        if (f.items) w.tag(1, VARINT).uint32(f.items);
        w.join();
        break;
      case "release_session":
        w.tag(7, LEN).fork();
        if (f.session) w.tag(1, LEN).string(f.session);
        w.join();
        break;
      case "handshake":
        frameId(w, f.id);
        submessage(w, 8, toBinary(HandshakeRequestSchema, f.request));
        break;
      case "describe":
        frameId(w, f.id);
        submessage(w, 9, toBinary(DescribeRequestSchema, f.request));
        break;
      case "shutdown":
        frameId(w, f.id);
        submessage(w, 10, toBinary(ShutdownRequestSchema, create(ShutdownRequestSchema, { graceMs: f.graceMs })));
        break;
    }
    w.join();
  }
  return { envelope: w.finish(), trailer };
}

function readPayload(bytes: Uint8Array, buffers: Iterator<Uint8Array> | undefined): RawPayload {
  const r = new BinaryReader(bytes);
  let data = EMPTY;
  const out: Uint8Array[] = [];
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 2 && type === LEN) data = r.bytes();
    else if (field === 3 && type === LEN) {
      r.bytes(); // an empty placeholder: the bytes came after the message
      const next = buffers?.next();
      if (!next || next.done) throw new Error("a payload names more buffers than the message carries");
      out.push(next.value);
    } else r.skip(type);
  }
  return { data, buffers: out };
}

function firstPayload(bytes: Uint8Array, buffers: Iterator<Uint8Array> | undefined): RawPayload {
  // Result.value = 1, StreamChunk.items = 1, CallbackResult.value = 1: a Payload in field 1.
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === LEN) return readPayload(r.bytes(), buffers);
    r.skip(type);
  }
  return { data: EMPTY, buffers: [] };
}

function callbackRequest(id: number, bytes: Uint8Array, buffers: Iterator<Uint8Array> | undefined): WorkerFrame {
  const r = new BinaryReader(bytes);
  let callback = "";
  let args: RawPayload = { data: EMPTY, buffers: [] };
  let callId = 0;
  let trace: TraceContext | undefined;
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === LEN) callback = r.string();
    else if (field === 2 && type === LEN) args = readPayload(r.bytes(), buffers);
    else if (field === 3 && type === VARINT) callId = r.uint32();
    else if (field === 4 && type === LEN) {
      const t = new BinaryReader(r.bytes());
      trace = { traceparent: "" };
      while (t.pos < t.len) {
        const [f, ty] = t.tag();
        if (f === 1 && ty === LEN) trace.traceparent = t.string();
        else if (f === 2 && ty === LEN) trace.tracestate = t.string();
        else t.skip(ty);
      }
    } else r.skip(type);
  }
  return { kind: "callback_request", id, callback, args, callId, trace };
}

function releaseIds(bytes: Uint8Array): string[] {
  const r = new BinaryReader(bytes);
  const ids: string[] = [];
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === LEN) ids.push(r.string());
    else r.skip(type);
  }
  return ids;
}

function workerFrame(bytes: Uint8Array, buffers: Iterator<Uint8Array> | undefined): WorkerFrame {
  const r = new BinaryReader(bytes);
  let id = 0;
  let kindField = 0;
  let body = EMPTY;
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === VARINT) id = r.uint32();
    else if (type === LEN) {
      kindField = field;
      body = r.bytes();
    } else r.skip(type);
  }
  switch (kindField) {
    case 2:
      return { kind: "result", id, value: firstPayload(body, buffers) };
    case 3:
      return { kind: "error", id, error: fromBinary(ErrorSchema, body) };
    case 4:
      return { kind: "stream_chunk", id, items: firstPayload(body, buffers) };
    case 5:
      return { kind: "stream_end", id, error: fromBinary(StreamEndSchema, body).error };
    case 6:
      return callbackRequest(id, body, buffers);
    case 7:
      return { kind: "heartbeat", heartbeat: fromBinary(HeartbeatSchema, body) };
    case 8:
      return { kind: "release_callbacks", ids: releaseIds(body) };
    case 9:
      return { kind: "handshake", id, response: fromBinary(HandshakeResponseSchema, body) };
    case 10:
      return { kind: "describe", id, response: fromBinary(DescribeResponseSchema, body) };
    case 11:
      return { kind: "shutdown", id };
    default:
      return { kind: "unknown", id };
  }
}

/**
 * The frames of a serialized WorkerMessage; on the lane, `trailer` holds the buffers
 * that followed it (payloads take them in order). Bytes in the frames are views into
 * `envelope`, never copies.
 * @private
 */
export function decodeWorkerMessage(envelope: Uint8Array, trailer?: readonly Uint8Array[]): WorkerFrame[] {
  const r = new BinaryReader(envelope);
  const buffers = trailer ? trailer[Symbol.iterator]() : undefined;
  const frames: WorkerFrame[] = [];
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === LEN) frames.push(workerFrame(r.bytes(), buffers));
    else r.skip(type);
  }
  return frames;
}
