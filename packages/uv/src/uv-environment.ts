import type { Env } from "./env.js";
import type { IndexSettings } from "./index-settings.js";

/**
 * uv's own variables a user may legitimately set for where and how packages are
 * fetched (indexes and their credentials, TLS, proxies' hosts, timeouts, cache,
 * concurrency, link mode). Everything else starting with `UV_` (UV_PYTHON,
 * UV_CONSTRAINT, UV_RESOLUTION, UV_EXCLUDE_NEWER, UV_FROZEN, ...) is dropped: it
 * would change what gets resolved or installed behind the manifest's back.
 */
const KEPT_UV_VARIABLES = [
  /^UV_CACHE_DIR$/,
  /^UV_NO_CACHE$/,
  /^UV_INDEX_STRATEGY$/,
  /^UV_KEYRING_PROVIDER$/,
  /^UV_INDEX_[A-Z0-9_]+_(USERNAME|PASSWORD)$/,
  /^UV_NATIVE_TLS$/,
  /^UV_SYSTEM_CERTS$/,
  /^UV_INSECURE_HOST$/,
  /^UV_HTTP_TIMEOUT$/,
  /^UV_HTTP_RETRIES$/,
  /^UV_REQUEST_TIMEOUT$/,
  /^UV_CONCURRENT_(DOWNLOADS|BUILDS|INSTALLS)$/,
  /^UV_LINK_MODE$/,
];

/** Variables of other tools that would redirect uv to another environment or interpreter. */
const DROPPED_VARIABLES = new Set(["VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP"]);

/**
 * The environment every uv command runs with: the caller's environment minus uv
 * settings that could leak a user's configuration in, plus `UV_NO_CONFIG=1` (no
 * uv.toml is read), `UV_PYTHON_DOWNLOADS=never` and only system interpreters, and
 * the indexes decided by {@link resolveIndexSettings}.
 * @private
 */
export function hermeticUvEnv(
  base: Env,
  options: { index?: IndexSettings; projectEnvironment?: string } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || DROPPED_VARIABLES.has(key)) continue;
    if (key.startsWith("UV_") && !KEPT_UV_VARIABLES.some((p) => p.test(key))) continue;
    env[key] = value;
  }
  env.UV_NO_CONFIG = "1";
  env.UV_PYTHON_DOWNLOADS = "never";
  env.UV_PYTHON_PREFERENCE = "only-system";
  env.NO_COLOR = "1";
  if (options.index?.defaultIndex) env.UV_DEFAULT_INDEX = options.index.defaultIndex;
  if (options.index && options.index.extraIndexes.length > 0) env.UV_INDEX = options.index.extraIndexes.join(" ");
  if (options.projectEnvironment) env.UV_PROJECT_ENVIRONMENT = options.projectEnvironment;
  return env;
}

/** The flags every uv command gets, before its own. @private */
export function hermeticUvFlags(options: { offline?: boolean } = {}): string[] {
  return ["--no-config", "--color", "never", "--python-preference", "only-system", ...(options.offline ? ["--offline"] : [])];
}
