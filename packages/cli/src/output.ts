import { ManifestError } from "@bridge/manifest";
import { BridgeError } from "@bridge/runtime";
import { UvError } from "@bridge/uv";
import type { CliIO } from "./io.js";

/** Options every command accepts. */
export interface OutputOptions {
  /** Print one JSON document on stdout instead of text. */
  json?: boolean;
}

/** Prints a command's result: `{ ok: true, ...result }` as JSON, or the text. */
export function printResult(io: CliIO, options: OutputOptions, result: object, text: () => string): void {
  if (options.json) io.out(`${JSON.stringify({ ok: true, ...result }, null, 2)}\n`);
  else io.out(`${text()}\n`);
}

/** A failure as data: the code, the message, and what kind of error it was. */
export interface CliFailure {
  code: string;
  message: string;
  kind: "manifest" | "uv" | "bridge" | "internal";
  issues?: unknown[];
  requirement?: string;
}

/** Turns any thrown value into a failure a user can act on. */
export function describeFailure(error: unknown): CliFailure {
  if (error instanceof ManifestError) {
    return { kind: "manifest", code: "invalid_manifest", message: error.message, issues: [...error.issues] };
  }
  if (error instanceof UvError) {
    return {
      kind: "uv",
      code: error.code,
      message: error.message,
      ...(error.requirement === undefined ? {} : { requirement: error.requirement }),
    };
  }
  if (error instanceof BridgeError) return { kind: "bridge", code: error.code, message: error.message };
  return { kind: "internal", code: "internal", message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}

/** Prints a failure (JSON on stdout with --json, text on stderr otherwise). */
export function printFailure(io: CliIO, options: OutputOptions, error: unknown): void {
  const failure = describeFailure(error);
  if (options.json) io.out(`${JSON.stringify({ ok: false, error: failure }, null, 2)}\n`);
  else io.err(`bridge: ${failure.message}\n`);
}
