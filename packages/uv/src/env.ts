/**
 * An environment to read settings from (PATH, UV_*, PIP_*, HOME...), as
 * `process.env` is typed: keys may be missing.
 * @private
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** The defined entries of an environment, for a child process. @private */
export function plainEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
