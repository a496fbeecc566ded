import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { BridgeError } from "./bridge-error.js";

/** A pool's private directory for its workers' sockets. @private */
export interface RunDir {
  readonly path: string;
  /** Removes a dead worker's sockets at once. */
  removeSocketsOf(workerId: string): void;
  /** Removes the directory (the pool closed). */
  remove(): void;
}

const OWNER_FILE = "owner";

/**
 * A process's start time in clock ticks since boot (Linux: field 22 of /proc/<pid>/stat),
 * with its state: together with the pid they name one process, even after the pid is reused.
 */
function procStat(pid: number | "self"): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses; fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Whether the host that wrote an owner file (`<pid> [<start time>]`) still runs. */
function ownerAlive(pid: number, start: string | undefined): boolean {
  if (existsSync("/proc/self/stat")) {
    const stat = procStat(pid);
    // Gone, a zombie (dead, not yet reaped by its parent), or the pid reused by another process.
    return stat !== undefined && stat.state !== "Z" && (start === undefined || stat.start === start);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `<tmp>/bridge-<uid>/<run id>/`: the base is private to this user (0700); each run
 * directory records the host's pid, so a new pool removes the directories of runs whose
 * host died without closing its pool (a SIGKILL leaves nothing else behind: the workers
 * exit with their host). Unix socket paths are limited to ~107 bytes: the path stays short.
 * @private
 */
export function createRunDir(): RunDir {
  const uid = typeof process.getuid === "function" ? process.getuid() : userInfo().username;
  const base = join(tmpdir(), `bridge-${uid}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  // In a shared temp dir another user could have made this path first (a directory of
  // theirs, or a symlink to one): use it only if it is a real directory of our own.
  const stat = lstatSync(base);
  if (!stat.isDirectory() || (typeof process.getuid === "function" && stat.uid !== process.getuid())) {
    throw new BridgeError(
      "unavailable",
      `${base} is not a directory owned by this user (uid ${String(uid)}); remove it, or point TMPDIR elsewhere`,
    );
  }
  chmodSync(base, 0o700);
  sweep(base);
  const id = `${process.pid.toString(36)}-${randomBytes(3).toString("hex")}`;
  const path = join(base, id);
  mkdirSync(path, { mode: 0o700 });
  const start = procStat("self")?.start;
  writeFileSync(join(path, OWNER_FILE), start === undefined ? String(process.pid) : `${process.pid} ${start}`);
  return {
    path,
    removeSocketsOf(workerId) {
      for (const suffix of [".sock", ".sock.grpc"]) rmSync(join(path, `${workerId}${suffix}`), { force: true });
    },
    remove() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Removes run directories whose owning host process is gone. */
function sweep(base: string): void {
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(base, entry);
    try {
      if (!statSync(dir).isDirectory()) continue;
      const [pid, start] = readFileSync(join(dir, OWNER_FILE), "utf8").trim().split(" ");
      const owner = Number(pid);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !ownerAlive(owner, start)) {
        rmSync(dir, { recursive: true, force: true });
      }
    } catch {
      // Not ours, or being created right now: leave it.
    }
  }
}
