import type { Transform } from "../config/schema.ts";
import {
  categoryOf,
  columnAllMissing,
  hashPreprocessorBody,
  imputeCategoricalFrom,
  imputeNumericFrom,
  isMissing,
  missingTarget,
  missingValue,
  mostFrequentOf,
  noTrainingRows,
  nonNumericFeature,
  planTransforms,
  scaledOnehot,
  singleClass,
  targetNotNumeric,
  toNumber,
  type FitPreprocessorOptions,
  type FittedColumn,
  type FittedPreprocessor,
  type FittedPreprocessorBody,
  type FittedStep,
} from "./preprocessor.ts";
import {
  addMoment,
  constantMoments,
  createStreamingMedian,
  emptyMoments,
  mergeMoments,
  type RunningMoments,
  type StreamingMedian,
} from "./running-stats.ts";
import type { TargetTransform } from "./target-transform.ts";

export type StreamFitOptions = FitPreprocessorOptions & {
  /** Exact medians up to this many values per column (then a sketch); default EXACT_MEDIAN_LIMIT. */
  exactMedianLimit?: number;
};

export type PreprocessorFitter = {
  /** One training row; `at` names it in errors (e.g. "row 12 of the data snapshot"). */
  add(row: Record<string, unknown>, at: () => string): void;
  /** Training rows seen so far. */
  rows(): number;
  /** The fitted preprocessor: the same parameters `fitPreprocessor` gives on the same rows. */
  finish(): FittedPreprocessor;
};

type Impute = Extract<Transform, { op: "impute" }>;
type ColumnAccumulator = {
  add(v: unknown, at: () => string): void;
  finish(offset: number): FittedColumn;
};
/** A column's accumulator for its present values; `missing` counts the values imputed. */
type PresentAccumulator = {
  add(v: unknown, at: () => string): void;
  finish(offset: number, missing: number): FittedColumn;
};

/**
 * Fits the transforms in one pass over the training rows, holding per column only: Welford
 * moments with exact min/max (numeric), exact category counts (one-hot, and numeric
 * most_frequent), and a median sketch (numeric median imputation; exact up to a limit).
 */
export function createPreprocessorFitter(opts: StreamFitOptions): PreprocessorFitter {
  const { byColumn, targetOp } = planTransforms(opts);
  const columns = opts.features.map((name) => {
    const transforms = byColumn.get(name) ?? [];
    return { name, acc: columnAccumulator(name, transforms, opts.exactMedianLimit) };
  });
  const labels = new Set<string>();
  const target = emptyMoments();
  let rows = 0;
  return {
    add(row, at) {
      rows++;
      for (const c of columns) c.acc.add(row[c.name], at);
      const y = row[opts.target];
      if (isMissing(y)) throw missingTarget(opts.target, at());
      if (opts.task === "classification") labels.add(categoryOf(y));
      else {
        const n = toNumber(y);
        if (n === undefined) throw targetNotNumeric(opts.target, y, at());
        addMoment(target, n);
      }
    },
    rows: () => rows,
    finish() {
      if (rows === 0) throw noTrainingRows();
      const fitted: FittedColumn[] = [];
      let offset = 0;
      for (const c of columns) {
        const column = c.acc.finish(offset);
        fitted.push(column);
        offset += column.width;
      }
      if (opts.task === "classification" && labels.size < 2) throw singleClass(opts.target, labels.size);
      const body: FittedPreprocessorBody = {
        schemaVersion: 1,
        inputName: "input",
        target: opts.target,
        task: opts.task,
        labels: opts.task === "classification" ? [...labels].sort() : [],
        outputWidth: offset,
        columns: fitted,
        ...(targetOp ? { targetTransform: targetTransformFromMoments(target, targetOp) } : {}),
      };
      return { ...body, hash: hashPreprocessorBody(body) };
    },
  };
}

function columnAccumulator(
  name: string,
  transforms: Transform[],
  exactMedianLimit: number | undefined,
): ColumnAccumulator {
  const impute = transforms.find((t): t is Impute => t.op === "impute");
  const scalers = transforms.filter((t) => t.op === "standardize" || t.op === "minmax");
  if (transforms.some((t) => t.op === "onehot")) {
    if (scalers.length > 0) throw scaledOnehot(name, scalers[0]!.op);
    return skippingMissing(name, impute, categoricalAccumulator(name, impute));
  }
  return skippingMissing(name, impute, numericAccumulator(name, impute, scalers, exactMedianLimit));
}

/**
 * Missing values, for either kind of column: an error without an impute step, otherwise counted
 * (the fill goes in their place); present values go on to the column's own accumulator.
 */
function skippingMissing(
  name: string,
  impute: Impute | undefined,
  present: PresentAccumulator,
): ColumnAccumulator {
  let missing = 0;
  return {
    add(v, at) {
      if (!isMissing(v)) return present.add(v, at);
      if (!impute) throw missingValue(name, at());
      missing++;
    },
    finish: (offset) => present.finish(offset, missing),
  };
}

function categoricalAccumulator(name: string, impute: Impute | undefined): PresentAccumulator {
  const counts = new Map<string, number>();
  return {
    add(v) {
      const c = categoryOf(v);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    },
    finish(offset, missing) {
      if (counts.size === 0) throw columnAllMissing(name);
      const steps: FittedStep[] = [];
      const categories = new Set(counts.keys());
      if (impute) {
        const fill = imputeCategoricalFrom(name, impute, () => mostFrequentOf(counts));
        steps.push({ op: "impute", strategy: impute.strategy, value: fill });
        if (missing > 0) categories.add(fill);
      }
      const sorted = [...categories].sort();
      steps.push({ op: "onehot", categories: sorted });
      return { name, kind: "categorical", offset, width: sorted.length, steps };
    },
  };
}

function numericAccumulator(
  name: string,
  impute: Impute | undefined,
  scalers: Transform[],
  exactMedianLimit: number | undefined,
): PresentAccumulator {
  const present = emptyMoments();
  const counts = impute?.strategy === "most_frequent" ? new Map<string, number>() : undefined;
  const median: StreamingMedian | undefined =
    impute?.strategy === "median"
      ? createStreamingMedian(exactMedianLimit !== undefined ? { exactLimit: exactMedianLimit } : {})
      : undefined;
  return {
    add(v, at) {
      const n = toNumber(v);
      if (n === undefined) throw nonNumericFeature(name, v, at());
      addMoment(present, n);
      if (counts) counts.set(String(n), (counts.get(String(n)) ?? 0) + 1);
      median?.add(n);
    },
    finish(offset, missing) {
      if (present.count === 0) throw columnAllMissing(name);
      const steps: FittedStep[] = [];
      let filled = present;
      if (impute) {
        const value = imputeNumericFrom(name, impute, {
          mean: () => present.mean,
          median: () => median!.median(),
          mostFrequent: () => mostFrequentOf(counts!),
        });
        steps.push({ op: "impute", strategy: impute.strategy, value });
        filled = mergeMoments(present, constantMoments(value, missing));
      }
      steps.push(...scalerSteps(filled, scalers));
      return { name, kind: "numeric", offset, width: 1, steps };
    },
  };
}

/**
 * Each scaler is fitted on the output of the previous ones. Scalers are increasing affine maps
 * x ↦ a·x + b (a > 0), so the mean, std, min and max after them follow from the raw moments.
 */
function scalerSteps(m: RunningMoments, scalers: Transform[]): FittedStep[] {
  let a = 1;
  let b = 0;
  const steps: FittedStep[] = [];
  for (const s of scalers) {
    if (s.op === "standardize") {
      const mean = a * m.mean + b;
      const std = a * Math.sqrt(m.m2 / m.count);
      const step = { op: "standardize" as const, mean, std: std > 1e-12 ? std : 1 };
      steps.push(step);
      [a, b] = [a / step.std, (b - step.mean) / step.std];
    } else {
      const min = a * m.min + b;
      const range = a * m.max + b - min;
      const step = { op: "minmax" as const, min, range: range > 1e-12 ? range : 1 };
      steps.push(step);
      [a, b] = [a / step.range, (b - step.min) / step.range];
    }
  }
  return steps;
}

function targetTransformFromMoments(m: RunningMoments, op: TargetTransform["op"]): TargetTransform {
  if (op === "standardize") {
    const std = Math.sqrt(m.m2 / (m.count || 1));
    return { op, mean: m.mean, std: std > 1e-12 ? std : 1 };
  }
  const range = m.max - m.min;
  return { op, min: m.min, range: range > 1e-12 ? range : 1 };
}
