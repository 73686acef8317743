import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { parseConfig } from "../core/config/parse-config.ts";
import { ConfigSchema, type Config } from "../core/config/schema.ts";
import type { Problem } from "../core/errors.ts";

export const CONFIG_PATH = ".github/modelship.yml";

/** The calls the loader makes: the file's raw text, and Probot's merging loader for `_extends`. */
export type ConfigSource = {
  /** The file's text on the default branch, or null when it does not exist. */
  readDefaultBranchFile(path: string): Promise<string | null>;
  /** Probot's config loader (follows `_extends`, merges), used only when the file extends another. */
  loadMerged(path: string): Promise<Record<string, unknown> | null>;
};

export type RepoConfigResult =
  | { ok: true; config: Config; text: string }
  | { ok: false; reason: "config-missing" }
  | { ok: false; reason: "config-invalid"; problems: Problem[] };

/**
 * Reads `.github/modelship.yml` from the default branch (never a PR head, so a PR cannot change
 * who may deploy). Problems name file, line and column; with `_extends`, Probot's loader merges
 * the base config and problems in the merged result name the file only.
 */
export async function loadRepoConfig(source: ConfigSource): Promise<RepoConfigResult> {
  const text = await source.readDefaultBranchFile(CONFIG_PATH);
  if (text === null) return { ok: false, reason: "config-missing" };
  const doc = parseDocument(text);
  const extendsBase = doc.errors.length === 0 && doc.has("_extends");
  if (!extendsBase) {
    const parsed = parseConfig(text, CONFIG_PATH);
    return parsed.ok
      ? { ok: true, config: parsed.config, text }
      : { ok: false, reason: "config-invalid", problems: parsed.problems };
  }
  const merged = (await source.loadMerged(CONFIG_PATH)) ?? {};
  const { _extends: _ignored, ...rest } = merged;
  const parsed = ConfigSchema.safeParse(rest);
  if (parsed.success) return { ok: true, config: parsed.data, text };
  return {
    ok: false,
    reason: "config-invalid",
    problems: parsed.error.issues.map((issue) => ({
      code: "config-invalid",
      message: `${issue.path.map(String).join(".") || "(top level)"}: ${issue.message}`,
      where: { file: `${CONFIG_PATH} (merged with its _extends base)` },
      hint: "See schema/modelship.schema.json for allowed values.",
    })),
  };
}

/** The line of `metrics.gates.<metric>` in the config text (for annotations); undefined when absent. */
export function gateLine(text: string, metric: string): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const gates = doc.getIn(["metrics", "gates"], true);
  if (!isMap(gates)) return undefined;
  const pair = gates.items.find((it) => isScalar(it.key) && it.key.value === metric);
  const offset = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}
