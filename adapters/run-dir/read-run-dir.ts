import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { RunSummary } from "../../core/compare/compare-runs.ts";
import { flattenMetrics } from "../../core/compare/flatten-metrics.ts";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES, RunRecordSchema, type History, type RunRecord } from "../../core/run/run-record.ts";
import { parseJsonText, schemaProblems } from "./parse-json-text.ts";
import {
  VALIDATION_FILE,
  ValidationReportSchema,
  type ValidationReport,
} from "../../core/data/expectations/validation-report.ts";

export type RunDir = {
  dir: string;
  record: RunRecord;
  /** From metrics.json (flattened) when present, otherwise from run.json. May hold NaN. */
  metrics: Record<string, number>;
  history?: History;
  /** From params.json when present, otherwise from run.json. */
  params: Record<string, unknown>;
  /** validation.json: the data.expectations results of the data the run trained on, when it had any. */
  validation?: ValidationReport;
};

// Same shape as HistorySchema, but a diverged run's NaN/Infinity values are kept, not rejected.
const anyNumber = z.custom<number>((v) => typeof v === "number", "expected a number");
const HistoryFileSchema = z.object({
  epochs: z.array(z.object({ epoch: z.number().int() }).catchall(anyNumber)),
});
const ParamsFileSchema = z.record(z.string(), z.unknown());

/** Reads and validates a run directory (run.json required; metrics, history and params optional). */
export async function readRunDir(dir: string): Promise<RunDir> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new ModelshipError({
      code: "run-dir-missing",
      message: `run directory ${dir} does not exist or is not a directory`,
      where: { file: dir },
      hint: "Pass the directory a training run wrote (it contains run.json).",
    });
  }

  const recordFile = join(dir, RUN_FILES.record);
  const recordText = await readText(recordFile);
  if (recordText === null) {
    throw new ModelshipError({
      code: "run-record-missing",
      message: `${RUN_FILES.record} is missing from the run directory`,
      where: { file: recordFile },
      hint: "Is this a run directory? `modelship train` writes run.json when a run completes.",
    });
  }
  const recordJson = parse(recordText, recordFile);
  const recordParsed = RunRecordSchema.safeParse(recordJson);
  if (!recordParsed.success) {
    throw new ModelshipError(
      schemaProblems(recordParsed.error.issues, recordText, recordFile, "run-record-invalid"),
    );
  }
  const record = recordParsed.data;

  let metrics: Record<string, number> = record.metrics;
  const metricsFile = join(dir, RUN_FILES.metrics);
  const metricsText = await readText(metricsFile);
  if (metricsText !== null) {
    const doc = parse(metricsText, metricsFile);
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      throw new ModelshipError({
        code: "run-metrics-invalid",
        message: `${RUN_FILES.metrics} must be a JSON object of metric names to numbers`,
        where: { file: metricsFile, line: 1, column: 1 },
        hint: 'Write e.g. {"accuracy": 0.93, "loss": 0.21}; nested objects become dotted names.',
      });
    }
    metrics = flattenMetrics(doc);
  }

  let history: History | undefined;
  const historyFile = join(dir, RUN_FILES.history);
  const historyText = await readText(historyFile);
  if (historyText !== null) {
    const parsed = HistoryFileSchema.safeParse(parse(historyText, historyFile));
    if (!parsed.success) {
      throw new ModelshipError(
        schemaProblems(parsed.error.issues, historyText, historyFile, "run-history-invalid"),
      );
    }
    history = parsed.data as History;
  }

  let params: Record<string, unknown> = record.params;
  const paramsFile = join(dir, RUN_FILES.params);
  const paramsText = await readText(paramsFile);
  if (paramsText !== null) {
    const parsed = ParamsFileSchema.safeParse(parse(paramsText, paramsFile));
    if (!parsed.success) {
      throw new ModelshipError(
        schemaProblems(parsed.error.issues, paramsText, paramsFile, "run-params-invalid"),
      );
    }
    params = parsed.data;
  }

  let validation: ValidationReport | undefined;
  const validationFile = join(dir, VALIDATION_FILE);
  const validationText = await readText(validationFile);
  if (validationText !== null) {
    const parsed = ValidationReportSchema.safeParse(parse(validationText, validationFile));
    if (!parsed.success) {
      throw new ModelshipError(
        schemaProblems(parsed.error.issues, validationText, validationFile, "run-validation-invalid"),
      );
    }
    validation = parsed.data;
  }

  return {
    dir,
    record,
    metrics,
    ...(history ? { history } : {}),
    params,
    ...(validation ? { validation } : {}),
  };
}

/** What compare needs from a run directory; the label defaults to the run id. */
export function toRunSummary(run: RunDir, opts: { label?: string; runUrl?: string } = {}): RunSummary {
  return {
    label: opts.label ?? run.record.runId,
    metrics: run.metrics,
    params: run.params,
    ...(run.history ? { history: run.history } : {}),
    ...(opts.runUrl !== undefined ? { runUrl: opts.runUrl } : {}),
  };
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ModelshipError({
      code: "run-file-unreadable",
      message: `cannot read ${file}: ${(err as Error).message}`,
      where: { file },
    });
  }
}

function parse(text: string, file: string): unknown {
  const result = parseJsonText(text, file);
  if (!result.ok) throw new ModelshipError(result.problem);
  return result.value;
}
