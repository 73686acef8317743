import { z } from "zod";

/** `<run>/validation-predictions.json`: what the model answered on the validation split, for plots. */
export const VALIDATION_PREDICTIONS_FILE = "validation-predictions.json";
/** At most this many validation rows are kept (plots of more rows look the same and weigh more). */
export const MAX_PREDICTION_ROWS = 10_000;

export const ValidationPredictionsSchema = z.discriminatedUnion("task", [
  z.object({
    schemaVersion: z.literal(1),
    task: z.literal("classification"),
    labels: z.array(z.string()).min(1),
    /** True class index per row. */
    truth: z.array(z.number().int().nonnegative()),
    /** Per row, one probability per label. */
    probabilities: z.array(z.array(z.number())),
  }),
  z.object({
    schemaVersion: z.literal(1),
    task: z.literal("regression"),
    truth: z.array(z.number()),
    predictions: z.array(z.number()),
  }),
]);
export type ValidationPredictions = z.infer<typeof ValidationPredictionsSchema>;

/** Builds the file from row-major model outputs; keeps the first MAX_PREDICTION_ROWS rows. */
export function toValidationPredictions(opts: {
  task: "classification" | "regression";
  labels: readonly string[];
  truth: ArrayLike<number>;
  outputs: ArrayLike<number>;
}): ValidationPredictions {
  const n = Math.min(opts.truth.length, MAX_PREDICTION_ROWS);
  const round = (v: number) => Number(v.toPrecision(7));
  if (opts.task === "regression") {
    return {
      schemaVersion: 1,
      task: "regression",
      truth: Array.from({ length: n }, (_, i) => round(opts.truth[i]!)),
      predictions: Array.from({ length: n }, (_, i) => round(opts.outputs[i]!)),
    };
  }
  const k = opts.labels.length;
  return {
    schemaVersion: 1,
    task: "classification",
    labels: [...opts.labels],
    truth: Array.from({ length: n }, (_, i) => opts.truth[i]!),
    probabilities: Array.from({ length: n }, (_, i) =>
      Array.from({ length: k }, (_, j) => round(opts.outputs[i * k + j]!)),
    ),
  };
}
