import { z } from "zod";
import { ColumnSchemaSchema, SourceDescriptionSchema } from "../data/data-snapshot.ts";

/**
 * A run directory is the unit every step exchanges: the trainer writes it, compare reads two of
 * them, the registry stores one, deploy serves the model inside it.
 *
 *   <run>/run.json          RunRecord (this schema)
 *   <run>/metrics.json      final metrics, flat `{ name: number }` (DVC-style nested accepted on read)
 *   <run>/history.json      per-epoch history `{ epochs: [{ epoch, loss, ... }] }` (optional)
 *   <run>/params.json       parameters the run used
 *   <run>/model/model.onnx  the model
 *   <run>/model/preprocess.json  fitted feature transforms (built-in trainer only)
 *   <run>/MODEL_CARD.md     human-readable card
 */
export const RUN_FILES = {
  record: "run.json",
  metrics: "metrics.json",
  history: "history.json",
  params: "params.json",
  modelDir: "model",
  model: "model/model.onnx",
  preprocess: "model/preprocess.json",
  card: "MODEL_CARD.md",
} as const;

export const DataFileSchema = z.object({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative().optional(),
});

export const RunRecordSchema = z.object({
  schemaVersion: z.literal(1),
  runId: z.string().min(1),
  model: z.object({ name: z.string(), task: z.enum(["classification", "regression"]) }),
  trainer: z.enum(["builtin", "command"]),
  command: z.string().optional(),
  backend: z.string().describe("TensorFlow.js backend used, or 'external' for train.command."),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().nonnegative(),
  timings: z.record(z.string(), z.number()).default({}),
  samplesPerSecond: z.number().optional(),
  code: z.object({ commit: z.string().nullable(), dirty: z.boolean(), branch: z.string().nullable() }),
  data: z.object({
    fingerprint: z.string(),
    files: z.array(DataFileSchema),
    rows: z.number().int().optional(),
    trainRows: z.number().int().optional().describe("Rows the model was fitted on."),
    validationRows: z.number().int().optional().describe("Held-out rows the metrics were computed on."),
    version: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe("Data version: sha256 of the snapshot's rows.jsonl (.modelship/data/<version>/)."),
    columns: z.array(ColumnSchemaSchema).optional().describe("Schema of the data: name, type, null count."),
    sources: z
      .array(SourceDescriptionSchema)
      .optional()
      .describe("Where the rows came from, without secrets (paths, URLs, servers, queries)."),
  }),
  targetTransform: z
    .union([
      z.object({ op: z.literal("standardize"), mean: z.number(), std: z.number() }),
      z.object({ op: z.literal("minmax"), min: z.number(), range: z.number() }),
    ])
    .optional()
    .describe(
      "Regression target scaling fitted on the training rows; the model answers in the target's own units.",
    ),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.number()),
  signature: z
    .object({
      inputs: z.array(
        z.object({
          name: z.string(),
          datatype: z.string(),
          shape: z.array(z.number()),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
      outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) })),
      labels: z.array(z.string()).optional(),
    })
    .optional(),
  device: z
    .string()
    .optional()
    .describe(
      "Where the built-in trainer computed: 'gpu' only when TensorFlow reported using one, else 'cpu'.",
    ),
  skippedBackends: z
    .array(z.object({ backend: z.string(), reason: z.string() }))
    .optional()
    .describe("Faster backends tried before the one used, and why each was not used."),
  parity: z
    .object({
      rows: z.number().int(),
      maxAbsDiff: z.number(),
      ok: z.boolean(),
      rtol: z.number().optional(),
      atol: z.number().optional(),
      maxRelDiff: z.number().optional(),
      mismatches: z.number().int().optional(),
      /** Older runs: one absolute bound. */
      tolerance: z.number().optional(),
      worst: z
        .object({
          row: z.number().int(),
          column: z.number().int(),
          onnx: z.number().nullable().describe("null: NaN or infinite"),
          tfjs: z.number().nullable(),
          absDiff: z.number().nullable(),
          allowed: z.number(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .enum(["succeeded", "failed"])
    .optional()
    .describe("Absent means succeeded; a failed run is kept for inspection but must not be registered."),
  failure: z.object({ code: z.string(), message: z.string() }).optional(),
  training: z
    .object({
      epochs: z.number().int(),
      bestEpoch: z.number().int(),
      stoppedEarly: z.boolean(),
      resumedFromEpoch: z.number().int().optional(),
      prunedAtEpoch: z
        .number()
        .int()
        .optional()
        .describe("A sweep's pruner stopped this trial after this epoch."),
      classWeights: z
        .record(z.string(), z.number())
        .optional()
        .describe("Loss weight of each label, as resolved from train.params.classWeights."),
    })
    .optional()
    .describe(
      "Built-in trainer: epochs run, the epoch whose weights were kept, and whether early stopping ended it.",
    ),
  preprocessHash: z
    .string()
    .optional()
    .describe("sha256 of the fitted preprocessing in model/preprocess.json."),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export const HistorySchema = z.object({
  epochs: z.array(z.object({ epoch: z.number().int() }).catchall(z.number())),
});
export type History = z.infer<typeof HistorySchema>;
