/**
 * What `ensureEnvironment` is doing, for a progress display:
 * - `uv`: finding or bootstrapping uv;
 * - `resolve`: checking or computing the lock (`packages` once uv reports the count);
 *   also used while waiting for another process that holds the environment's lock;
 * - `download` / `install`: package counts, with the current package when uv names it;
 * - `done`: always the last event of a successful call, with whether anything changed.
 */
export type ProgressEvent =
  | { phase: "uv"; message: string }
  | { phase: "resolve"; message: string; packages?: number }
  | { phase: "download"; done: number; total: number; name?: string }
  | { phase: "install"; done: number; total: number; name?: string }
  | { phase: "done"; changed: boolean; durationMs: number };

/** Receives progress events; exceptions it throws are ignored. */
export type ProgressListener = (event: ProgressEvent) => void;

/** Calls the listener, never letting a rendering bug break an install. @private */
export function emitter(listener: ProgressListener | undefined): ProgressListener {
  if (!listener) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch {
      // A progress display must not fail the operation it displays.
    }
  };
}

const count = (text: string | undefined): number => Number.parseInt(text ?? "0", 10);

/**
 * Turns uv's stderr lines (`--color never`, not a terminal) into progress events.
 * uv prints "Resolved N packages", "Downloading NAME (SIZE)" for large files,
 * "Prepared N packages", "Installed N packages" followed by one " + name==version"
 * line each. A `uv sync --dry-run` beforehand ("Would download N packages",
 * "Would install N packages") gives the totals up front.
 * @private
 */
export class UvProgressParser {
  private downloadTotal = 0;
  private downloaded = 0;
  private installTotal = 0;
  private installed = 0;
  private listing = false;

  constructor(private readonly emit: ProgressListener) {}

  /** Feeds totals from a dry run's output. */
  planned(lines: readonly string[]): void {
    for (const line of lines) {
      const download = /^Would download (\d+) packages?/.exec(line.trim());
      if (download) this.downloadTotal = count(download[1]);
      const install = /^Would install (\d+) packages?/.exec(line.trim());
      if (install) this.installTotal = count(install[1]);
    }
    if (this.downloadTotal > 0) this.emit({ phase: "download", done: 0, total: this.downloadTotal });
  }

  /** Feeds one stderr line of a running uv. */
  line(raw: string): void {
    const line = raw.trimEnd();
    const text = line.trim();
    let m: RegExpExecArray | null;
    if ((m = /^Resolved (\d+) packages?/.exec(text))) {
      this.emit({ phase: "resolve", message: text, packages: count(m[1]) });
    } else if ((m = /^Downloading (\S+)/.exec(text))) {
      this.downloadTotal = Math.max(this.downloadTotal, this.downloaded + 1);
      this.emit({ phase: "download", done: this.downloaded, total: this.downloadTotal, name: m[1]! });
    } else if ((m = /^Downloaded (\S+)/.exec(text))) {
      this.downloaded += 1;
      this.downloadTotal = Math.max(this.downloadTotal, this.downloaded);
      this.emit({ phase: "download", done: this.downloaded, total: this.downloadTotal, name: m[1]! });
    } else if ((m = /^Prepared (\d+) packages?/.exec(text))) {
      const n = count(m[1]);
      this.downloaded = n;
      this.downloadTotal = n;
      this.emit({ phase: "download", done: n, total: n });
    } else if ((m = /^Installed (\d+) packages?/.exec(text))) {
      this.installTotal = count(m[1]);
      this.installed = 0;
      this.listing = true;
      this.emit({ phase: "install", done: 0, total: this.installTotal });
    } else if (this.listing && (m = /^\s*[+~] ([^=\s]+)/.exec(line))) {
      this.installed = Math.min(this.installed + 1, this.installTotal);
      this.emit({ phase: "install", done: this.installed, total: this.installTotal, name: m[1]! });
    }
  }
}
