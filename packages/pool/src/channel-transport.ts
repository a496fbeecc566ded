import { LaneConnection } from "./lane-connection.js";
import { decodeWorkerMessage, type WorkerFrame } from "./wire.js";

/**
 * How a {@link WorkerConnection} reaches its worker: serialized HostMessages out,
 * WorkerMessage frames in.
 * @private
 */
export interface ChannelTransport {
  /** Starts delivering incoming frames; `onClose` runs once when the channel ends. */
  start(onFrames: (frames: WorkerFrame[]) => void, onClose: (error: unknown) => void): void;
  /** Sends one HostMessage and the out-of-band buffers its payloads refer to. */
  send(envelope: Uint8Array, trailer: readonly Uint8Array[]): void;
  /** Bytes written but not yet taken by the operating system. */
  readonly pendingBytes: number;
  setRef(ref: boolean): void;
  close(): void;
}

/** The local lane: records on a unix socket. @private */
export class LaneTransport implements ChannelTransport {
  private lane: LaneConnection | undefined;
  private onFrames: ((frames: WorkerFrame[]) => void) | undefined;
  private onClose: ((error: unknown) => void) | undefined;
  private early: unknown;

  private constructor() {}

  /** Connects to the lane socket at `path`. */
  static async open(path: string): Promise<LaneTransport> {
    const transport = new LaneTransport();
    transport.lane = await LaneConnection.open(
      path,
      (envelope, buffers) => transport.onFrames?.(decodeWorkerMessage(envelope, buffers)),
      (error) => {
        if (transport.onClose) transport.onClose(error);
        else transport.early = error ?? new Error("the lane closed");
      },
    );
    return transport;
  }

  start(onFrames: (frames: WorkerFrame[]) => void, onClose: (error: unknown) => void): void {
    this.onFrames = onFrames;
    this.onClose = onClose;
    if (this.early !== undefined) onClose(this.early);
  }

  send(envelope: Uint8Array, trailer: readonly Uint8Array[]): void {
    this.lane?.send(envelope, trailer);
  }

  get pendingBytes(): number {
    return this.lane?.pendingBytes ?? 0;
  }

  setRef(ref: boolean): void {
    this.lane?.setRef(ref);
  }

  close(): void {
    this.lane?.close();
  }
}
