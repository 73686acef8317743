import { z } from "zod";
import type { Transform } from "../config/schema.ts";
import { ModelshipError } from "../errors.ts";
import { canonicalJson, sha256Hex } from "../data/sha256.ts";
import { fitTargetTransform, resolveTargetOp, TargetTransformSchema } from "./target-transform.ts";

export const FittedStepSchema = z.discriminatedUnion("op", [
  z
    .object({ op: z.literal("impute"), strategy: z.string(), value: z.union([z.number(), z.string()]) })
    .strict(),
  z.object({ op: z.literal("standardize"), mean: z.number(), std: z.number().positive() }).strict(),
  z.object({ op: z.literal("minmax"), min: z.number(), range: z.number().positive() }).strict(),
  z.object({ op: z.literal("onehot"), categories: z.array(z.string()).min(1) }).strict(),
]);
export type FittedStep = z.infer<typeof FittedStepSchema>;

export const FittedColumnSchema = z
  .object({
    name: z.string().min(1),
    kind: z.enum(["numeric", "categorical"]),
    /** First position of this column's values in the model input vector. */
    offset: z.number().int().nonnegative(),
    width: z.number().int().positive(),
    steps: z.array(FittedStepSchema),
  })
  .strict();
export type FittedColumn = z.infer<typeof FittedColumnSchema>;

const FittedBodySchema = z
  .object({
    schemaVersion: z.literal(1),
    inputName: z.literal("input"),
    target: z.string().min(1),
    task: z.enum(["classification", "regression"]),
    labels: z.array(z.string()),
    outputWidth: z.number().int().positive(),
    columns: z.array(FittedColumnSchema).min(1),
    /** Regression only: the model's raw output is the target scaled by this; the ONNX graph undoes it. */
    targetTransform: TargetTransformSchema.optional(),
  })
  .strict();

/** The fitted feature transforms written to `model/preprocess.json`; `hash` versions the parameters. */
export const FittedPreprocessorSchema = FittedBodySchema.extend({ hash: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict()
  .refine((p) => p.hash === hashPreprocessorBody(p), {
    message: "hash does not match the fitted parameters (the file was edited or corrupted)",
    path: ["hash"],
  });
export type FittedPreprocessor = z.infer<typeof FittedPreprocessorSchema>;

export type Task = "classification" | "regression";

export type FitPreprocessorOptions = {
  features: string[];
  target: string;
  task: Task;
  transforms: Transform[];
  /** `data.target.standardize`; undefined: standardize regression targets. */
  targetStandardize?: boolean | undefined;
};

type Body = z.infer<typeof FittedBodySchema>;
/** A fitted preprocessor before its hash is added. */
export type FittedPreprocessorBody = Body;

export function hashPreprocessorBody(p: Body): string {
  const { schemaVersion, inputName, target, task, labels, outputWidth, columns, targetTransform } = p;
  // Absent when unscaled, so files written before target scaling existed keep their hash.
  return sha256Hex(
    canonicalJson({
      schemaVersion,
      inputName,
      target,
      task,
      labels,
      outputWidth,
      columns,
      ...(targetTransform ? { targetTransform } : {}),
    }),
  );
}

/** Value a user left out: null, undefined, empty string or NaN. */
export function isMissing(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    (typeof v === "string" && v.trim() === "") ||
    (typeof v === "number" && Number.isNaN(v))
  );
}

/** A cell as a finite number, or undefined when it is not one (numeric strings count). */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/** A categorical cell as the category it counts as (numbers and booleans by their text). */
export function categoryOf(v: unknown): string {
  return typeof v === "string" ? v : String(v);
}

function rowWhere(row: number): string {
  return `row ${row + 1}`;
}

/** Fits the declared transforms on training rows only; throws ModelshipError on unusable data. */
export function fitPreprocessor(
  rows: Record<string, unknown>[],
  opts: FitPreprocessorOptions,
): FittedPreprocessor {
  if (rows.length === 0) throw noTrainingRows();
  const { byColumn, targetOp } = planTransforms(opts);

  const columns: FittedColumn[] = [];
  let offset = 0;
  for (const name of opts.features) {
    const transforms = byColumn.get(name) ?? [];
    const column = fitColumn(name, rows, transforms, offset);
    columns.push(column);
    offset += column.width;
  }

  const labels =
    opts.task === "classification" ? fitLabels(rows, opts.target) : checkNumericTarget(rows, opts.target);
  const body: Body = {
    schemaVersion: 1,
    inputName: "input",
    target: opts.target,
    task: opts.task,
    labels,
    outputWidth: offset,
    columns,
    ...(targetOp
      ? {
          targetTransform: fitTargetTransform(
            rows.map((r) => toNumber(r[opts.target])!),
            targetOp,
          ),
        }
      : {}),
  };
  return { ...body, hash: hashPreprocessorBody(body) };
}

export function noTrainingRows(): ModelshipError {
  return new ModelshipError({
    code: "data-empty",
    message: "no training rows to fit the feature transforms on",
    hint: "Check data.source and that the files contain rows.",
  });
}

/** Checks `data.transforms` against the features and groups them by column; the target's scaling apart. */
export function planTransforms(opts: FitPreprocessorOptions): {
  byColumn: Map<string, Transform[]>;
  targetOp: ReturnType<typeof resolveTargetOp>;
} {
  if (opts.features.length === 0) {
    throw new ModelshipError({
      code: "features-empty",
      message: "no feature columns",
      hint: "List model.features in the config.",
    });
  }
  const byColumn = new Map<string, Transform[]>();
  const onTarget = opts.transforms.filter((t) => t.column === opts.target);
  const targetOp = resolveTargetOp({
    task: opts.task,
    target: opts.target,
    standardize: opts.targetStandardize,
    transforms: onTarget,
  });
  for (const t of opts.transforms) {
    if (t.column === opts.target) continue;
    if (!opts.features.includes(t.column)) {
      throw new ModelshipError({
        code: "transform-unknown-column",
        message: `data.transforms: '${t.op}' names column '${t.column}', which is not a feature`,
        hint: `Features are: ${opts.features.join(", ")}. Add the column to model.features or fix the name.`,
      });
    }
    byColumn.set(t.column, [...(byColumn.get(t.column) ?? []), t]);
  }
  return { byColumn, targetOp };
}

function fitColumn(
  name: string,
  rows: Record<string, unknown>[],
  transforms: Transform[],
  offset: number,
): FittedColumn {
  const onehot = transforms.some((t) => t.op === "onehot");
  const impute = transforms.find((t) => t.op === "impute");
  const scalers = transforms.filter((t) => t.op === "standardize" || t.op === "minmax");
  const raw = rows.map((r) => r[name]);
  const present = raw.filter((v) => !isMissing(v));
  if (present.length === 0) throw columnAllMissing(name);

  if (onehot) {
    if (scalers.length > 0) throw scaledOnehot(name, scalers[0]!.op);
    const steps: FittedStep[] = [];
    const values = raw.map((v, i) => {
      if (!isMissing(v)) return categoryOf(v);
      if (!impute) throw missingValue(name, i);
      return undefined;
    });
    let fill = "";
    if (impute) {
      fill = imputeCategorical(name, impute, present.map(categoryOf));
      steps.push({ op: "impute", strategy: impute.strategy, value: fill });
    }
    const categories = [...new Set(values.map((v) => v ?? fill))].sort();
    steps.push({ op: "onehot", categories });
    return { name, kind: "categorical", offset, width: categories.length, steps };
  }

  const nums = raw.map((v, i) => {
    if (isMissing(v)) {
      if (!impute) throw missingValue(name, i);
      return undefined;
    }
    const n = toNumber(v);
    if (n === undefined) throw nonNumericFeature(name, v, rowWhere(i));
    return n;
  });
  const steps: FittedStep[] = [];
  let filled: number[] = nums.filter((n): n is number => n !== undefined);
  if (impute) {
    const value = imputeNumeric(name, impute, filled);
    steps.push({ op: "impute", strategy: impute.strategy, value });
    filled = nums.map((n) => n ?? value);
  }
  for (const s of scalers) {
    if (s.op === "standardize") {
      const mean = filled.reduce((a, b) => a + b, 0) / filled.length;
      const variance = filled.reduce((a, b) => a + (b - mean) ** 2, 0) / filled.length;
      const std = Math.sqrt(variance);
      // A constant column would divide by zero; it carries no information, so map it to 0.
      const step = { op: "standardize" as const, mean, std: std > 1e-12 ? std : 1 };
      steps.push(step);
      filled = filled.map((x) => (x - step.mean) / step.std);
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const x of filled) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      const step = { op: "minmax" as const, min, range: max - min > 1e-12 ? max - min : 1 };
      steps.push(step);
      filled = filled.map((x) => (x - step.min) / step.range);
    }
  }
  return { name, kind: "numeric", offset, width: 1, steps };
}

export function columnAllMissing(column: string): ModelshipError {
  return new ModelshipError({
    code: "column-all-missing",
    message: `column '${column}' has no values in the training rows`,
    hint: "Check the column name against the data files (names are case-sensitive).",
  });
}

export function scaledOnehot(column: string, op: string): ModelshipError {
  return new ModelshipError({
    code: "transform-conflict",
    message: `column '${column}' is one-hot encoded and also has '${op}'`,
    hint: "Scale numeric columns and one-hot encode categorical ones; a column cannot be both.",
  });
}

/** A numeric column (no `onehot`) holding text; `at` says where, e.g. "row 3". */
export function nonNumericFeature(column: string, value: unknown, at: string): ModelshipError {
  return new ModelshipError({
    code: "categorical-without-onehot",
    message: `column '${column}' has the non-numeric value ${JSON.stringify(value)} at ${at} but no 'onehot' transform`,
    hint: `Add '- { op: onehot, column: ${column} }' to data.transforms, or fix the value.`,
  });
}

/** `at`: where the row is, e.g. "row 3 of the training rows" (the default wording for an index). */
export function missingValue(column: string, row: number | string): ModelshipError {
  const at = typeof row === "number" ? `${rowWhere(row)} of the training rows` : row;
  return new ModelshipError({
    code: "missing-value",
    message: `column '${column}' is missing a value at ${at}`,
    hint: `Add '- { op: impute, column: ${column}, strategy: mean }' (or median, most_frequent, constant) to data.transforms, or drop the row.`,
  });
}

function imputeNumeric(column: string, t: Extract<Transform, { op: "impute" }>, values: number[]): number {
  return imputeNumericFrom(column, t, {
    mean: () => values.reduce((a, b) => a + b, 0) / values.length,
    median: () => {
      const s = [...values].sort((a, b) => a - b);
      const mid = Math.floor(s.length / 2);
      return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    },
    mostFrequent: () => mostFrequent(values.map(String)),
  });
}

/** Summaries of a numeric column's present values, computed only when a strategy asks. */
export type NumericSummaries = { mean(): number; median(): number; mostFrequent(): string };

/** The fill value of a numeric column's `impute` step. */
export function imputeNumericFrom(
  column: string,
  t: Extract<Transform, { op: "impute" }>,
  values: NumericSummaries,
): number {
  switch (t.strategy) {
    case "mean":
      return values.mean();
    case "median":
      return values.median();
    case "most_frequent":
      return Number(values.mostFrequent());
    case "constant": {
      const n = toNumber(t.value);
      if (n === undefined) {
        throw new ModelshipError({
          code: "impute-constant-invalid",
          message: `impute on numeric column '${column}' needs a numeric 'value' (got ${JSON.stringify(t.value ?? null)})`,
          hint: `Write '- { op: impute, column: ${column}, strategy: constant, value: 0 }'.`,
        });
      }
      return n;
    }
  }
}

function imputeCategorical(
  column: string,
  t: Extract<Transform, { op: "impute" }>,
  values: string[],
): string {
  return imputeCategoricalFrom(column, t, () => mostFrequent(values));
}

/** The fill value of a categorical column's `impute` step. */
export function imputeCategoricalFrom(
  column: string,
  t: Extract<Transform, { op: "impute" }>,
  mostFrequentValue: () => string,
): string {
  switch (t.strategy) {
    case "most_frequent":
      return mostFrequentValue();
    case "constant":
      if (t.value === undefined) {
        throw new ModelshipError({
          code: "impute-constant-invalid",
          message: `impute with strategy 'constant' on column '${column}' needs a 'value'`,
          hint: `Write '- { op: impute, column: ${column}, strategy: constant, value: unknown }'.`,
        });
      }
      return String(t.value);
    default:
      throw new ModelshipError({
        code: "impute-strategy-invalid",
        message: `impute strategy '${t.strategy}' needs numbers, but column '${column}' is categorical`,
        hint: "Use strategy most_frequent or constant for categorical columns.",
      });
  }
}

function mostFrequent(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return mostFrequentOf(counts);
}

/** The value counted most often; ties go to the smallest value so the fit does not depend on row order. */
export function mostFrequentOf(counts: ReadonlyMap<string, number>): string {
  let best: string | undefined;
  let bestCount = -1;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== undefined && v < best)) {
      best = v;
      bestCount = c;
    }
  }
  return best ?? "";
}

function fitLabels(rows: Record<string, unknown>[], target: string): string[] {
  const set = new Set<string>();
  rows.forEach((r, i) => {
    const v = r[target];
    if (isMissing(v)) throw missingTarget(target, i);
    set.add(categoryOf(v));
  });
  if (set.size < 2) throw singleClass(target, set.size);
  return [...set].sort();
}

function checkNumericTarget(rows: Record<string, unknown>[], target: string): string[] {
  rows.forEach((r, i) => {
    const v = r[target];
    if (isMissing(v)) throw missingTarget(target, i);
    if (toNumber(v) === undefined) throw targetNotNumeric(target, v, rowWhere(i));
  });
  return [];
}

export function targetNotNumeric(target: string, value: unknown, at: string): ModelshipError {
  return new ModelshipError({
    code: "target-not-numeric",
    message: `regression target '${target}' has the non-numeric value ${JSON.stringify(value)} at ${at}`,
    hint: "Use model.task: classification for a categorical target, or fix the value.",
  });
}

/** A classification target with fewer than two classes. */
export function singleClass(target: string, classes: number): ModelshipError {
  return new ModelshipError({
    code: "target-single-class",
    message: `target '${target}' has ${classes} class in the training rows; classification needs at least 2`,
    hint: "Check model.target, or use model.task: regression for a numeric target.",
  });
}

export function missingTarget(target: string, row: number | string): ModelshipError {
  return new ModelshipError({
    code: "missing-target",
    message: `target '${target}' is missing at ${typeof row === "number" ? rowWhere(row) : row}`,
    hint: "Drop rows without a target before training.",
  });
}

/**
 * Turns raw feature columns into the model input, row-major `[rowCount, outputWidth]`. The trainer
 * and the inference server both call this, so training and serving see identical numbers.
 * A category not seen during fitting encodes as all zeros (no column hot).
 */
export function applyPreprocessor(
  p: FittedPreprocessor,
  columns: Record<string, ArrayLike<unknown>>,
  rowCount: number,
): Float32Array {
  const out = new Float32Array(rowCount * p.outputWidth);
  const width = p.outputWidth;
  for (const col of p.columns) {
    const values = columns[col.name];
    if (values === undefined) {
      throw new ModelshipError({
        code: "input-missing-column",
        message: `input '${col.name}' is missing`,
        hint: `Send every feature: ${p.columns.map((c) => c.name).join(", ")}.`,
      });
    }
    if (values.length < rowCount) {
      throw new ModelshipError({
        code: "input-length-mismatch",
        message: `input '${col.name}' has ${values.length} values but ${rowCount} rows were expected`,
        hint: "Send the same number of values for every input.",
      });
    }
    let imputed: number | string | undefined;
    for (const s of col.steps) if (s.op === "impute") imputed = s.value;
    for (let i = 0; i < rowCount; i++) {
      let v: unknown = values[i];
      if (isMissing(v)) {
        if (imputed === undefined) {
          throw new ModelshipError({
            code: "input-missing-value",
            message: `input '${col.name}' is missing a value at ${rowWhere(i)}`,
            hint: `Send a value for '${col.name}' (the model was trained without imputing it).`,
          });
        }
        v = imputed;
      }
      const base = i * width + col.offset;
      if (col.kind === "categorical") {
        const cat = categoryOf(v);
        for (const s of col.steps) {
          if (s.op === "onehot") {
            const k = s.categories.indexOf(cat);
            if (k >= 0) out[base + k] = 1;
          }
        }
        continue;
      }
      const n = toNumber(v);
      if (n === undefined) {
        throw new ModelshipError({
          code: "input-not-a-number",
          message: `input '${col.name}' has the non-numeric value ${JSON.stringify(v)} at ${rowWhere(i)}`,
          hint: `'${col.name}' is numeric; send a number.`,
        });
      }
      let x = n;
      for (const s of col.steps) {
        if (s.op === "standardize") x = (x - s.mean) / s.std;
        else if (s.op === "minmax") x = (x - s.min) / s.range;
      }
      out[base] = x;
    }
  }
  return out;
}

/** The per-feature inputs a server accepts before preprocessing: numbers as FP32, categories as BYTES. */
export function rawInputSignature(p: FittedPreprocessor): RawInput[] {
  return p.columns.map((c) => {
    const input: RawInput = { name: c.name, datatype: c.kind === "numeric" ? "FP32" : "BYTES", shape: [-1] };
    const onehot = c.steps.find((s) => s.op === "onehot");
    // Published in model metadata so clients (and deploy smoke tests) can send valid categories.
    if (onehot && "categories" in onehot) input.parameters = { categories: [...onehot.categories] };
    return input;
  });
}

/** One raw feature input as the model metadata advertises it. */
export type RawInput = {
  name: string;
  datatype: "FP32" | "BYTES";
  shape: number[];
  parameters?: { categories: string[] };
};

/** Column-major view of row objects, the shape `applyPreprocessor` takes. */
export function rowsToColumns(
  rows: readonly Record<string, unknown>[],
  names: readonly string[],
): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const n of names) out[n] = rows.map((r) => r[n]);
  return out;
}

/**
 * Training targets: class indices into `p.labels` (classification) or numbers (regression).
 * A class absent from the training rows is an error, since the model has no output for it.
 */
export function encodeTargets(p: FittedPreprocessor, rows: readonly Record<string, unknown>[]): Float32Array {
  const out = new Float32Array(rows.length);
  const index = new Map(p.labels.map((l, i) => [l, i]));
  rows.forEach((r, i) => {
    const v = r[p.target];
    if (isMissing(v)) throw missingTarget(p.target, i);
    if (p.task === "classification") {
      const k = index.get(categoryOf(v));
      if (k === undefined) {
        throw new ModelshipError({
          code: "target-unknown-class",
          message: `target '${p.target}' has the class ${JSON.stringify(v)} at ${rowWhere(i)}, which is not in the training rows`,
          hint: "Add rows of that class, or change data.seed / data.validationSplit so every class appears in training.",
        });
      }
      out[i] = k;
    } else {
      const n = toNumber(v);
      if (n === undefined) {
        throw new ModelshipError({
          code: "target-not-numeric",
          message: `regression target '${p.target}' has the non-numeric value ${JSON.stringify(v)} at ${rowWhere(i)}`,
          hint: "Use model.task: classification for a categorical target, or fix the value.",
        });
      }
      out[i] = n;
    }
  });
  return out;
}

/** Validates a `preprocess.json` document (schema and hash); throws ModelshipError naming the file. */
export function parsePreprocessor(json: unknown, file: string): FittedPreprocessor {
  const parsed = FittedPreprocessorSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ModelshipError(
    parsed.error.issues.map((issue) => ({
      code: "preprocess-invalid",
      message: `${issue.path.map(String).join(".") || "(top level)"}: ${issue.message}`,
      where: { file },
      hint: "Re-create the file by training again; preprocess.json is written by the trainer.",
    })),
  );
}
