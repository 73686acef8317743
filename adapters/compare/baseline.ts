import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readRunDir, toRunSummary, type RunDir } from "../run-dir/read-run-dir.ts";
import type { RunSummary } from "../../core/compare/compare-runs.ts";
import { formatProblem, ModelshipError, type Problem } from "../../core/errors.ts";
import { materializeVersionCache, versionCachePath } from "../registry-common/version-cache.ts";
import type { ModelVersion, Registry } from "../../core/registry/registry-port.ts";

/** Where verified copies of registered versions are unpacked for compare and deploy. */
export function versionCacheDir(repoDir: string, name: string, version: string): string {
  return versionCachePath(join(repoDir, ".modelship", "versions"), name, version);
}

/**
 * A verified copy of a registered version: digests are re-checked on every call, and a copy
 * that does not match is reported through `warn` and fetched again (see materializeVersionCache).
 */
export async function materializeCached(
  registry: Registry,
  repoDir: string,
  version: ModelVersion,
  warn: (problem: Problem) => void = (p) => process.stderr.write(`warning: ${formatProblem(p)}\n`),
): Promise<string> {
  return materializeVersionCache({
    registry,
    cacheRoot: join(repoDir, ".modelship", "versions"),
    version,
    warn,
  });
}

export type Baseline = { summary: RunSummary; version: ModelVersion | null; dir: string; run: RunDir };

/**
 * Resolves what a candidate is compared with: a run directory path, or a registry reference
 * (a version, `latest`, or an alias such as `production`). Undefined when nothing matches yet.
 */
export async function resolveBaseline(opts: {
  ref: string;
  registry: Registry;
  repoDir: string;
  modelName: string;
}): Promise<Baseline | undefined> {
  const asDir = resolve(opts.ref);
  const isDir = await stat(join(asDir, "run.json")).then(
    () => true,
    () => false,
  );
  if (isDir) {
    const run = await readRunDir(asDir);
    return { summary: toRunSummary(run), version: null, dir: asDir, run };
  }
  const version = await opts.registry.resolve(opts.modelName, opts.ref);
  if (!version) return undefined;
  const dir = await materializeCached(opts.registry, opts.repoDir, version);
  const run = await readRunDir(dir);
  return { summary: toRunSummary(run, { label: `v${version.version}` }), version, dir, run };
}

/** Resolves a version, `latest` or an alias, or throws version-not-found with a hint. */
export async function requireVersion(registry: Registry, name: string, ref: string): Promise<ModelVersion> {
  const version = await registry.resolve(name, ref);
  if (version) return version;
  throw new ModelshipError({
    code: "version-not-found",
    message: `'${ref}' is not a version, \`latest\` or an alias of model '${name}'`,
    hint: "Register one with `modelship register RUN_DIR`; list them with `modelship models list`.",
  });
}
