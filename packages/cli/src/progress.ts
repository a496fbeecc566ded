import type { ProgressEvent } from "@bridge/uv";
import type { CliIO } from "./io.js";

/**
 * Renders environment progress: one redrawn line on a terminal, one line per phase
 * change in a log (CI), nothing with --json (the result says it all).
 */
export function progressRenderer(io: CliIO, enabled: boolean): { onProgress: (event: ProgressEvent) => void; finish: () => void } {
  let lastPhase = "";
  let drawn = false;
  const draw = (line: string) => {
    if (io.interactive) {
      io.err(`\r\x1b[2K${line}`);
      drawn = true;
    } else {
      io.err(`${line}\n`);
    }
  };
  return {
    onProgress: (event) => {
      if (!enabled) return;
      switch (event.phase) {
        case "uv":
        case "resolve":
          draw(`${event.phase === "uv" ? "uv" : "resolving"}: ${event.message}`);
          break;
        case "download":
        case "install": {
          const label = event.phase === "download" ? "downloading" : "installing";
          // In a log, print each phase once and then only its completion.
          if (io.interactive || event.phase !== lastPhase || event.done === event.total) {
            draw(`${label} ${event.done}/${event.total}${event.name ? ` ${event.name}` : ""}`);
          }
          break;
        }
        case "done":
          break;
      }
      lastPhase = event.phase;
    },
    finish: () => {
      if (drawn) io.err("\r\x1b[2K");
    },
  };
}
