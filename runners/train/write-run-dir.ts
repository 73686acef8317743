import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import type { Explanation } from "../../core/explain/permutation-importance.ts";
import { EXPLANATION_FILE } from "../../core/explain/explanation-file.ts";
import { RUN_FILES, RunRecordSchema, type History, type RunRecord } from "../../core/run/run-record.ts";
import {
  VALIDATION_PREDICTIONS_FILE,
  type ValidationPredictions,
} from "../../core/run/validation-predictions.ts";
import { REFERENCE_PROFILE_PATH, type ReferenceProfile } from "../../core/monitoring/reference-profile.ts";

export type RunDirContents = {
  record: RunRecord;
  metrics: Record<string, number>;
  history?: History;
  params: Record<string, unknown>;
  model: Uint8Array;
  preprocess?: unknown;
  /** A few validation rows as raw features, for deploy smoke requests (`model/reference-rows.json`). */
  referenceRows?: ReferenceRowsFile;
  /** What drift detection compares a deployed model's inputs with (`model/reference-profile.json`). */
  referenceProfile?: ReferenceProfile;
  /** `validation-predictions.json`, for plots. */
  predictions?: ValidationPredictions;
  /** `explanation.json`: permutation importance on the validation split. */
  explanation?: Explanation;
  card: string;
};

/** `model/reference-rows.json`: real rows, one value per raw feature, that deploys send as smoke requests. */
export type ReferenceRowsFile = { rows: Array<Record<string, unknown>> };

const REFERENCE_ROWS_PATH = "model/reference-rows.json";

/** The first `limit` rows, reduced to the model's raw features (missing values as null). */
export function pickReferenceRows(
  rows: ReadonlyArray<Record<string, unknown>>,
  features: readonly string[],
  limit = 20,
): ReferenceRowsFile {
  return {
    rows: rows.slice(0, limit).map((r) => Object.fromEntries(features.map((f) => [f, r[f] ?? null]))),
  };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A fresh staging directory next to the runs, so the final rename stays on one filesystem. */
export async function createStagingDir(runsDir: string, runId: string): Promise<string> {
  await mkdir(runsDir, { recursive: true });
  const dir = join(runsDir, `.tmp-${runId}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir);
  return dir;
}

/**
 * Writes every RUN_FILES entry into `stagingDir`, then renames it to `runsDir/runId`, so a crash
 * never leaves a half-written run directory under its real name.
 */
export async function writeRunDir(opts: {
  runsDir: string;
  runId: string;
  stagingDir: string;
  contents: RunDirContents;
}): Promise<string> {
  const { contents: c, stagingDir: tmp } = opts;
  const record = RunRecordSchema.parse(c.record);
  const target = join(opts.runsDir, opts.runId);
  if (await exists(target)) {
    throw new ModelshipError({
      code: "run-exists",
      message: `run directory ${target} already exists`,
      hint: "Pick another --run-id, or remove the old run.",
    });
  }
  await mkdir(join(tmp, RUN_FILES.modelDir), { recursive: true });
  const files: [string, string | Uint8Array][] = [
    [RUN_FILES.record, json(record)],
    [RUN_FILES.metrics, json(c.metrics)],
    [RUN_FILES.params, json(c.params)],
    [RUN_FILES.model, c.model],
    [RUN_FILES.card, c.card],
  ];
  if (c.history) files.push([RUN_FILES.history, json(c.history)]);
  if (c.preprocess !== undefined) files.push([RUN_FILES.preprocess, json(c.preprocess)]);
  if (c.referenceRows !== undefined && c.referenceRows.rows.length > 0)
    files.push([REFERENCE_ROWS_PATH, json(c.referenceRows)]);
  if (c.predictions) files.push([VALIDATION_PREDICTIONS_FILE, JSON.stringify(c.predictions)]);
  if (c.explanation) files.push([EXPLANATION_FILE, json(c.explanation)]);
  // Compact: one profile can hold a thousand values per feature.
  if (c.referenceProfile !== undefined)
    files.push([REFERENCE_PROFILE_PATH, `${JSON.stringify(c.referenceProfile)}\n`]);
  for (const [name, data] of files) {
    await mkdir(dirname(join(tmp, name)), { recursive: true });
    await writeFile(join(tmp, name), data);
  }
  await rename(tmp, target);
  return target;
}

export async function removeStagingDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
