import { resolve } from "node:path";
import { readRunDir, toRunSummary, type RunDir } from "../run-dir/read-run-dir.ts";
import { compareRuns, type Comparison } from "../../core/compare/compare-runs.ts";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry/registry-port.ts";
import { resolveBaseline, type Baseline } from "./baseline.ts";

export type CandidateComparison = {
  candidate: RunDir;
  baseline: Baseline | undefined;
  /** What the baseline reference resolved from, e.g. "production" or "latest"; null for none. */
  baselineRef: string | null;
  comparison: Comparison;
};

/**
 * Compares a run directory with its baseline: the given reference, or by default the version the
 * environment's alias (e.g. `production`) points to, else the latest version, else nothing.
 */
export async function compareCandidate(opts: {
  config: Config;
  registry: Registry;
  repoDir: string;
  runDir: string;
  baselineRef?: string;
}): Promise<CandidateComparison> {
  const candidate = await readRunDir(resolve(opts.runDir));
  const name = opts.config.model.name;
  if (candidate.record.model.name !== name) {
    throw new ModelshipError({
      code: "model-name-mismatch",
      message: `run ${candidate.record.runId} is a '${candidate.record.model.name}' model but the config names '${name}'`,
      where: { file: resolve(opts.runDir, "run.json") },
      hint: "Compare runs of the model the config describes, or pass --config for the other model.",
    });
  }
  const refs = opts.baselineRef ? [opts.baselineRef] : [opts.config.deploy.environment, "latest"];
  let baseline: Baseline | undefined;
  let baselineRef: string | null = null;
  for (const ref of refs) {
    baseline = await resolveBaseline({
      ref,
      registry: opts.registry,
      repoDir: opts.repoDir,
      modelName: name,
    });
    if (baseline) {
      baselineRef = ref;
      break;
    }
  }
  if (!baseline && opts.baselineRef) {
    throw new ModelshipError({
      code: "baseline-not-found",
      message: `baseline '${opts.baselineRef}' is neither a run directory nor a version or alias of '${name}'`,
      hint: "Pass a run directory, a version such as 1.2.0, `latest`, or an alias such as `production` (see `modelship models list`).",
    });
  }
  const comparison = compareRuns({
    candidate: toRunSummary(candidate),
    ...(baseline ? { baseline: baseline.summary } : {}),
    gates: opts.config.metrics.gates,
    ...(opts.config.metrics.primary ? { primary: opts.config.metrics.primary } : {}),
  });
  return { candidate, baseline, baselineRef, comparison };
}
