import { execa } from "execa";
import { canceledError } from "./uv-error.js";

/** How to run one uv (or other tool) command. @private */
export interface RunToolOptions {
  /** The complete environment (no inheritance from this process). */
  env: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal | undefined;
  /** Called with each stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  timeoutMs?: number;
}

/** A finished command: never thrown for a non-zero exit, only for cancellation. @private */
export interface ToolResult {
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The spawn itself failed (ENOENT, EACCES...). */
  spawnError?: string;
}

/**
 * Runs a command to completion, streaming its stderr lines. A non-zero exit is data
 * for the caller to diagnose; an abort of `signal` kills the process (SIGTERM, then
 * SIGKILL) and rejects with UvError("canceled").
 * @private
 */
export async function runTool(program: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  const command = [program, ...args];
  const onLine = options.onStderrLine;
  const result = await execa(program, args, {
    env: options.env,
    extendEnv: false,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    stdin: "ignore",
    stderr: onLine
      ? [
          function* (line: unknown) {
            if (typeof line === "string") onLine(line);
            yield line;
          },
        ]
      : "pipe",
    reject: false,
    forceKillAfterDelay: 3_000,
    // A uv left running after Node exits would hold the environment's files.
    cleanup: true,
  });
  if (result.isCanceled || options.signal?.aborted) throw canceledError(options.signal, `\`${command.join(" ")}\``);
  const text = (value: unknown): string => (typeof value === "string" ? value : "");
  const failed = result.exitCode === undefined;
  return {
    command,
    exitCode: result.exitCode ?? -1,
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    ...(failed ? { spawnError: result.shortMessage ?? result.message ?? "the process could not start" } : {}),
  };
}
