/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress redraws one line) or a log (one line per step). */
  interactive: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** The process's own streams. */
export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    env: process.env,
  };
}
