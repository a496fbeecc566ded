import { spawn, type ChildProcess } from "node:child_process";
import { delimiter } from "node:path";
import { createInterface } from "node:readline";
import { BridgeError } from "./bridge-error.js";

/** How to start one Python worker process. @private */
export interface SpawnWorkerOptions {
  /** Worker id used in logs and errors, e.g. `w1`. */
  id: string;
  python: string;
  /** The lane's unix socket path. */
  socketPath: string;
  /** Also serve gRPC at `unix:<socketPath>.grpc`. */
  grpc: boolean;
  /** Directory put first on PYTHONPATH (holds `bridge_worker`), or none. */
  workerPath: string | undefined;
  env: Readonly<Record<string, string>>;
  cwd: string | undefined;
  threads: number | undefined;
  heartbeatMs: number;
  /** How long the worker polls for the next record before sleeping, when idle. */
  spinUs: number;
  /** The worker's token, passed in its environment (never on argv). */
  token: string;
  startTimeoutMs: number;
  onLog: (line: string) => void;
}

/** How a worker process ended. @private */
export interface WorkerExit {
  exitCode: number | null;
  signal: string | null;
}

/** The worker's ready line. @private */
export interface ReadyLine {
  event: "ready";
  pid: number;
  socket?: string;
  grpc?: string;
}

const STDERR_TAIL_LINES = 40;

/**
 * A running Python worker process: spawned, ready (its socket bound), with its
 * stderr forwarded and the last lines kept for error messages.
 *
 * Plain `node:child_process` (execa costs ~95 ms to import, most of a cold start).
 * A worker never outlives its host: it exits when its stdin (a pipe the host holds)
 * reaches EOF, and on Linux the kernel kills it when the host dies (PR_SET_PDEATHSIG).
 * @private
 */
export class WorkerProcess {
  readonly pid: number;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<WorkerExit>;
  ready: ReadyLine | undefined;
  private exit: WorkerExit | undefined;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly tail: string[],
    exited: Promise<WorkerExit>,
  ) {
    this.pid = proc.pid ?? -1;
    this.exited = exited.then((e) => (this.exit = e));
  }

  /** Spawns the worker and waits for its ready line. */
  static async spawn(options: SpawnWorkerOptions): Promise<WorkerProcess> {
    const args = ["-m", "bridge_worker", "--socket", options.socketPath, "--heartbeat-ms", String(options.heartbeatMs), "--spin-us", String(options.spinUs)];
    if (options.grpc) args.push("--grpc");
    if (options.threads !== undefined) args.push("--threads", String(options.threads));
    const inherited = options.env.PYTHONPATH ?? process.env.PYTHONPATH;
    const pythonPath = [options.workerPath, inherited].filter((p) => p).join(delimiter);
    const proc = spawn(options.python, args, {
      env: {
        ...process.env,
        ...options.env,
        PYTHONUNBUFFERED: "1",
        BRIDGE_WORKER_TOKEN: options.token,
        ...(pythonPath ? { PYTHONPATH: pythonPath } : {}),
      },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const tail: string[] = [];
    const exited = new Promise<WorkerExit>((resolve) => {
      proc.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
      proc.once("error", () => resolve({ exitCode: null, signal: null }));
    });
    // Writes to a dead worker's stdin must not crash the host.
    proc.stdin?.on("error", () => undefined);
    if (proc.stderr) {
      createInterface({ input: proc.stderr }).on("line", (line) => {
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
        options.onLog(line);
      });
    }
    const worker = new WorkerProcess(proc, tail, exited);
    worker.ready = await worker.waitReady(options);
    return worker;
  }

  private waitReady(options: SpawnWorkerOptions): Promise<ReadyLine> {
    const proc = this.proc;
    return new Promise<ReadyLine>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout! });
      let settled = false;
      const fail = (error: BridgeError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        lines.close();
        proc.kill("SIGKILL");
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(
          new BridgeError(
            "unavailable",
            `worker ${options.id} (${options.python}) did not become ready within ${options.startTimeoutMs} ms${this.stderrHint()}`,
            { details: { worker: options.id, pid: this.pid } },
          ),
        );
      }, options.startTimeoutMs);
      lines.once("line", (line) => {
        let ready: ReadyLine | undefined;
        try {
          ready = JSON.parse(line) as ReadyLine;
        } catch {
          ready = undefined;
        }
        if (ready?.event !== "ready") {
          fail(new BridgeError("internal", `worker ${options.id} printed ${JSON.stringify(line)} instead of its ready line`));
          return;
        }
        settled = true;
        clearTimeout(timer);
        lines.close();
        // The worker sends nothing more on stdout (it redirects it to stderr): let the pipe drain and close.
        proc.stdout!.resume();
        resolve(ready);
      });
      void this.exited.then((exit) => {
        // Give the last stderr lines a moment to arrive before reporting them.
        setTimeout(() => {
          fail(
            new BridgeError(
              "unavailable",
              `worker ${options.id} could not start: \`${options.python} -m bridge_worker\` exited with ${describeExit(exit)}${this.stderrHint()}`,
              { details: { worker: options.id, pid: this.pid, ...exit, stderr: this.stderrTail() } },
            ),
          );
        }, 20);
      });
      proc.once("error", (error) => {
        fail(new BridgeError("unavailable", `worker ${options.id} could not start ${options.python}: ${error.message}`, { cause: error }));
      });
    });
  }

  /** How the process ended, once it has. */
  get exitInfo(): WorkerExit | undefined {
    return this.exit;
  }

  /** The last lines the worker wrote to stderr. */
  stderrTail(): string {
    return this.tail.join("\n");
  }

  private stderrHint(): string {
    const tail = this.tail.slice(-12).join("\n");
    return tail ? `; its stderr ends with:\n${tail}` : "";
  }

  /** Sends a signal (default SIGTERM). */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.exit === undefined) this.proc.kill(signal);
  }

  /** Whether this process keeps the Node event loop alive. */
  setRef(ref: boolean): void {
    // A closed pipe (stdout closes after the ready line) has no handle; ref() on it
    // would queue a listener for a connect that never comes.
    const streams = [this.proc.stdin, this.proc.stdout, this.proc.stderr].filter(
      (s): s is NonNullable<typeof s> => s !== null && !s.destroyed,
    ) as unknown as Array<{ ref?: () => void; unref?: () => void }>;
    if (ref) {
      this.proc.ref();
      for (const s of streams) s.ref?.();
    } else {
      this.proc.unref();
      for (const s of streams) s.unref?.();
    }
  }
}

/** "exit code 1", "signal SIGKILL". @private */
export function describeExit(exit: WorkerExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
}
