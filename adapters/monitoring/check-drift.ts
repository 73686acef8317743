import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { detectDrift, type DriftReport } from "../../core/monitoring/detect-drift.ts";
import type { ReferenceProfile } from "../../core/monitoring/reference-profile.ts";
import type { Registry } from "../../core/registry/registry-port.ts";
import { materializeCached, requireVersion } from "../compare/baseline.ts";
import { readDeployState } from "../deploy-local/deploy-state-file.ts";
import { readFeatureRows } from "./read-feature-rows.ts";
import { predictionLogDir, readPredictionLog } from "./read-prediction-log.ts";
import { readReferenceProfile } from "./read-reference-profile.ts";

export type DriftCheckInput = {
  config: Config;
  /** Opens the registry that resolves a version or alias (only called when one is needed). */
  registry: () => Registry | Promise<Registry>;
  /** Where verified copies of registered versions are cached (`<repoDir>/.modelship/versions`). */
  repoDir: string;
  /** The deploy state folder: the environment's prediction log and the version live there. */
  stateDir: string;
  env: string;
  /** A file of feature rows to use instead of the environment's prediction log. */
  current?: { file: string; predictionColumn?: string };
  /** A directory holding a reference profile, or a version, `latest` or alias. */
  reference?: string;
  since?: Date;
  minRows?: number;
  psi?: boolean;
  now: Date;
  info: (line: string) => void;
  warn: (line: string) => void;
};

export type DriftCheck = {
  report: DriftReport;
  /** What was compared, as the reports name it. */
  subject: { model: string; current: string; reference: string };
};

/**
 * Compares current data (a file of feature rows, or the environment's prediction log) with the
 * reference profile of a run directory or a registered version (default: the one live in the
 * environment, else the alias named after it), with `monitoring.drift`'s thresholds.
 */
export async function checkDrift(o: DriftCheckInput): Promise<DriftCheck> {
  const reference = await resolveReference(o);
  const current = o.current
    ? await currentFromFile(resolve(o.current.file), o.current.predictionColumn)
    : await currentFromLog(o, reference.profile);
  const report = detectDrift({
    profile: reference.profile,
    rows: current.rows,
    ...(current.answers ? { predictions: current.answers } : {}),
    options: {
      minRows: o.minRows ?? o.config.monitoring.drift.minRows,
      datasetShare: o.config.monitoring.drift.datasetShare,
      psi: o.psi === true,
    },
  });
  return {
    report,
    subject: { model: o.config.model.name, current: current.label, reference: reference.label },
  };
}

type Reference = { profile: ReferenceProfile; label: string };

async function resolveReference(o: DriftCheckInput): Promise<Reference> {
  if (o.reference !== undefined && (await isDirectory(resolve(o.reference)))) {
    return { profile: await readReferenceProfile(resolve(o.reference)), label: o.reference };
  }
  const name = o.config.model.name;
  let ref = o.reference;
  if (ref === undefined) {
    const state = await readDeployState(o.stateDir, o.env, o.now);
    ref = state.active?.version ?? o.env;
    o.info(
      `reference: ${state.active ? `v${ref}, live in ${o.env}` : `the ${o.env} alias (nothing live in ${o.env})`}`,
    );
  }
  const registry = await o.registry();
  const version = await requireVersion(registry, name, ref);
  const dir = await materializeCached(registry, o.repoDir, version);
  return { profile: await readReferenceProfile(dir), label: `v${version.version}` };
}

type Current = { rows: Array<Record<string, unknown>>; answers?: unknown[]; label: string };

async function currentFromFile(file: string, predictionColumn: string | undefined): Promise<Current> {
  const data = await readFeatureRows(file);
  if (predictionColumn !== undefined && !data.columns.includes(predictionColumn)) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `prediction column '${predictionColumn}' is not a column of ${file}`,
      hint: `Columns are: ${data.columns.join(", ")}.`,
    });
  }
  return {
    rows: data.rows,
    ...(predictionColumn ? { answers: data.rows.map((r) => r[predictionColumn] ?? null) } : {}),
    label: file,
  };
}

async function currentFromLog(o: DriftCheckInput, profile: ReferenceProfile): Promise<Current> {
  const dir = predictionLogDir(o.stateDir, o.env);
  const log = await readPredictionLog({
    dir,
    model: o.config.model.name,
    ...(o.since ? { since: o.since } : {}),
    ...(profile.prediction?.labels ? { labels: profile.prediction.labels } : {}),
  });
  if (log.files === 0) o.warn(`no prediction log in ${dir}: is the environment serving with logging on?`);
  if (log.skippedLines > 0)
    o.warn(`${log.skippedLines} lines of the prediction log are not prediction records and were skipped`);
  if (log.summarised > 0)
    o.info(
      `${log.summarised} client requests were logged as summaries only (bodies over monitoring.maxRecordKB)`,
    );
  o.info(
    `prediction log: ${log.records.client} client requests (${log.rows.length} rows) compared; ${log.records.shadow} shadow and ${log.records.smoke} smoke requests left out`,
  );
  return { rows: log.rows, answers: log.answers, label: `${o.env} (prediction log)` };
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
