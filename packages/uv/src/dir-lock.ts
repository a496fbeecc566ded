import { setTimeout as sleep } from "node:timers/promises";
import { lock } from "proper-lockfile";
import { UvError, canceledError } from "./uv-error.js";

/** How to wait for a directory's lock. @private */
export interface DirLockOptions {
  /** Give up with UvError("locked") after this long. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called once, when the lock is found held by someone else. */
  onWait?: () => void;
  /** What the lock protects, for the error message. */
  what: string;
}

/** A lock whose holder stopped refreshing it for this long is considered abandoned. */
const STALE_MS = 30_000;

/**
 * Runs `fn` while holding an exclusive, cross-process lock on `dir` (a
 * `<dir>.lock` directory beside it, refreshed while held, taken over once stale
 * when its holder died). Waits with backoff while another process holds it.
 * @private
 */
export async function withDirLock<T>(dir: string, options: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let compromised: Error | undefined;
  let waited = false;
  let delay = 50;
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    if (options.signal?.aborted) throw canceledError(options.signal, `waiting for the lock on ${options.what}`);
    try {
      release = await lock(dir, {
        realpath: false,
        stale: STALE_MS,
        update: STALE_MS / 3,
        retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      if (Date.now() - started >= options.timeoutMs) {
        throw new UvError(
          "locked",
          `${options.what} is locked by another process (${dir}.lock) and stayed locked for ${Math.round(options.timeoutMs / 1000)} s; if no other Bridge process is running, delete that directory`,
          { cause: error },
        );
      }
      if (!waited) {
        waited = true;
        options.onWait?.();
      }
      try {
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw canceledError(options.signal, `waiting for the lock on ${options.what}`);
      }
      delay = Math.min(delay * 2, 1_000);
    }
  }
  try {
    const result = await fn();
    if (compromised) {
      throw new UvError("locked", `the lock on ${options.what} was lost while working (${compromised.message}); run again`, {
        cause: compromised,
      });
    }
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}
