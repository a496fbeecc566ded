import type { Env } from "./env.js";
import type { EnvironmentSpec } from "./environment-spec.js";
import { pipConfiguredIndex } from "./pip-config.js";

/** Where packages come from for one environment. @private */
export interface IndexSettings {
  /** Replaces PyPI when set. */
  defaultIndex?: string;
  /** Consulted before the default index, in this order (uv's `--index` semantics). */
  extraIndexes: string[];
  /** Which setting won, for messages and `inspectEnvironment`. */
  source: "spec" | "uv-env" | "pip-env" | "pip-config" | "pypi";
}


const split = (value: string | undefined): string[] => (value ?? "").split(/\s+/).filter((v) => v !== "");

/**
 * Decides the indexes for an environment. The user's settings come from uv when any
 * `UV_DEFAULT_INDEX`/`UV_INDEX_URL`/`UV_INDEX`/`UV_EXTRA_INDEX_URL` is set, else from
 * pip (`PIP_INDEX_URL`/`PIP_EXTRA_INDEX_URL`, then pip's configuration files). The spec's
 * `indexUrl` and non-empty `extraIndexUrls` override them field by field.
 * @private
 */
export function resolveIndexSettings(spec: EnvironmentSpec, env: Env): IndexSettings {
  const specExtras = spec.extraIndexUrls?.filter((u) => u.trim() !== "") ?? [];
  const specDefault = spec.indexUrl?.trim() || undefined;
  let user: { defaultIndex?: string; extraIndexes: string[]; source: IndexSettings["source"] };
  const uvDefault = env.UV_DEFAULT_INDEX || env.UV_INDEX_URL || undefined;
  const uvExtras = [...split(env.UV_INDEX), ...split(env.UV_EXTRA_INDEX_URL)];
  if (uvDefault || uvExtras.length > 0) {
    user = { ...(uvDefault ? { defaultIndex: uvDefault } : {}), extraIndexes: uvExtras, source: "uv-env" };
  } else {
    const pipEnvDefault = env.PIP_INDEX_URL || undefined;
    const pipEnvExtras = split(env.PIP_EXTRA_INDEX_URL);
    const config = pipConfiguredIndex(env);
    const defaultIndex = pipEnvDefault ?? config.indexUrl;
    const extraIndexes = pipEnvExtras.length > 0 ? pipEnvExtras : config.extraIndexUrls;
    const source = pipEnvDefault || pipEnvExtras.length > 0 ? "pip-env" : defaultIndex || extraIndexes.length > 0 ? "pip-config" : "pypi";
    user = { ...(defaultIndex ? { defaultIndex } : {}), extraIndexes, source };
  }
  const defaultIndex = specDefault ?? user.defaultIndex;
  return {
    ...(defaultIndex ? { defaultIndex } : {}),
    extraIndexes: specExtras.length > 0 ? specExtras : user.extraIndexes,
    source: specDefault || specExtras.length > 0 ? "spec" : user.source,
  };
}
