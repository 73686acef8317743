import type { Config } from "../../core/config/schema.ts";
import { evaluateClassification, evaluateRegression } from "../../core/data/evaluate.ts";
import { permutationImportance, type Explanation } from "../../core/explain/permutation-importance.ts";
import {
  applyPreprocessor,
  rowsToColumns,
  type FittedPreprocessor,
} from "../../core/features/preprocessor.ts";
import { unscaleTargets } from "../../core/features/target-transform.ts";
import type { ModelCardExtras } from "../../core/report/render-model-card.ts";
import type { RunRecord } from "../../core/run/run-record.ts";
import {
  toValidationPredictions,
  type ValidationPredictions,
} from "../../core/run/validation-predictions.ts";
import type { Tf } from "./select-backend.ts";
import { metricDirection } from "../../core/sweep/metric-direction.ts";

/** Metrics the built-in trainer computes on the validation split, so importance can be measured in them. */
const TASK_METRICS = {
  classification: ["accuracy", "f1_macro", "log_loss"],
  regression: ["r2", "rmse", "mse", "mae"],
} as const;

/** The metric importance is measured in: the primary metric when the trainer computes it, else accuracy / r2. */
export function explanationMetric(config: Config): string {
  const own: readonly string[] = TASK_METRICS[config.model.task];
  const primary = config.metrics.primary;
  return primary !== undefined && own.includes(primary) ? primary : own[0]!;
}

/**
 * Permutation importance of each raw feature on the validation rows, with the trained model's
 * `predict` (model inputs → probabilities, or predictions in the target's units).
 */
export async function explainRun(opts: {
  config: Config;
  preprocessor: FittedPreprocessor;
  columns: Record<string, unknown[]>;
  rows: number;
  /** Encoded truth: class indices, or target values in their own units. */
  truth: Float32Array;
  predict: (x: Float32Array, rows: number) => Promise<ArrayLike<number>>;
  repeats?: number;
}): Promise<Explanation> {
  const { config, preprocessor: p } = opts;
  const metric = explanationMetric(config);
  const classes = p.labels.length;
  const score = async (columns: Record<string, readonly unknown[]>) => {
    const x = applyPreprocessor(p, columns, opts.rows);
    const y = await opts.predict(x, opts.rows);
    const all: Record<string, number> =
      config.model.task === "classification"
        ? evaluateClassification(y, opts.truth, classes)
        : evaluateRegression(y, opts.truth);
    return all[metric]!;
  };
  return permutationImportance({
    columns: opts.columns,
    rows: opts.rows,
    score,
    metric,
    direction: metricDirection(config, metric),
    ...(opts.repeats !== undefined ? { repeats: opts.repeats } : {}),
    seed: config.data.seed,
  });
}

/** Validation predictions (for plots) and permutation importance of the built-in trainer's model. */
export async function explainBuiltin(opts: {
  /** False: the validation predictions only, no permutation importance. */
  explain: boolean;
  tf: Tf;
  model: ReturnType<Tf["sequential"]>;
  config: Config;
  p: FittedPreprocessor;
  valRows: ReadonlyArray<Record<string, unknown>>;
  features: string[];
  prep: { yVal: Float32Array; yValRaw: Float32Array };
  width: number;
  valPred: ArrayLike<number>;
}): Promise<{ predictions?: ValidationPredictions; explanation?: Explanation }> {
  const { tf, model, p } = opts;
  const rows = opts.valRows.length;
  if (rows === 0) return {};
  const classification = opts.config.model.task === "classification";
  const truth = classification ? opts.prep.yVal : opts.prep.yValRaw;
  const predictions = toValidationPredictions({
    task: opts.config.model.task,
    labels: p.labels,
    truth,
    outputs: opts.valPred,
  });
  if (!opts.explain) return { predictions };
  const predict = async (x: Float32Array, n: number): Promise<ArrayLike<number>> => {
    const out = tf.tidy(() => model.predict(tf.tensor2d(x, [n, opts.width])) as ReturnType<Tf["tensor"]>);
    try {
      const values = (await out.data()) as Float32Array;
      return classification ? values : unscaleTargets(p.targetTransform, values);
    } finally {
      out.dispose();
    }
  };
  const explanation = await explainRun({
    config: opts.config,
    preprocessor: p,
    columns: rowsToColumns(opts.valRows, opts.features),
    rows,
    truth,
    predict,
  });
  return { predictions, explanation };
}

/** The model card's extra sections for a freshly trained run: its explanation and plots. */
export function runCardExtras(
  _record: RunRecord,
  explanation: Explanation | undefined,
  plots: ReadonlyArray<{ title: string; path: string }> = [],
): ModelCardExtras {
  return { ...(explanation ? { explanation } : {}), ...(plots.length > 0 ? { plots: [...plots] } : {}) };
}
