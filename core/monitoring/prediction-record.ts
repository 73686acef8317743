import { z } from "zod";

/** Who sent a request: a client, the router's shadow copy, or a rollout's smoke check. */
export const TrafficKindSchema = z.enum(["client", "shadow", "smoke"]);
export type TrafficKind = z.infer<typeof TrafficKindSchema>;

/** Which side of a traffic split answered. */
export const VariantSchema = z.enum(["stable", "candidate"]);
export type Variant = z.infer<typeof VariantSchema>;

/** Request headers the router sets on every request it forwards to a slot. */
export const ROUTING_HEADERS = {
  variant: "x-modelship-variant",
  version: "x-modelship-version",
  traffic: "x-modelship-traffic",
} as const;

/**
 * One line of a prediction log (JSON lines). `inputs` holds raw feature values by feature name
 * (one object per row of the request); `outputs` the answer per row; a request whose body is over
 * the logging limit keeps only `summary` instead of `inputs`/`outputs`.
 */
export const PredictionRecordSchema = z.object({
  ts: z.string().describe("ISO 8601 time the answer was sent"),
  id: z.string().describe("request id: the V2 request's `id`, else one the server made"),
  model: z.string(),
  version: z.string(),
  variant: VariantSchema,
  traffic: TrafficKindSchema,
  latencyMs: z.number().nonnegative(),
  status: z.number().int(),
  inputs: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))).optional(),
  outputs: z.array(z.record(z.string(), z.unknown())).optional(),
  summary: z
    .object({ rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })
    .optional(),
});
export type PredictionRecord = z.infer<typeof PredictionRecordSchema>;

/** The `v` of the records servers write now; records without `v` are PredictionRecords (the first format). */
export const RAW_PREDICTION_RECORD_VERSION = 2;

/**
 * One line of a prediction log as servers write it now: the V2 request body and answer exactly as
 * they crossed the wire (the JSON part; binary tensor data as base64 beside it), so the server only
 * concatenates text. Readers turn them into feature rows (`adapters/monitoring/prediction-rows.ts`).
 */
export const RawPredictionRecordSchema = PredictionRecordSchema.omit({ inputs: true, outputs: true }).extend({
  v: z.literal(RAW_PREDICTION_RECORD_VERSION),
  request: z
    .unknown()
    .optional()
    .describe("the V2 infer request body (its JSON header when binary data followed)"),
  requestBinary: z
    .string()
    .optional()
    .describe("base64 of the binary tensor data after the request's JSON header"),
  response: z
    .unknown()
    .optional()
    .describe("the V2 answer (its JSON header when outputs went back as binary data)"),
  responseBinary: z
    .string()
    .optional()
    .describe("base64 of the binary tensor data after the answer's JSON header"),
});
export type RawPredictionRecord = z.infer<typeof RawPredictionRecordSchema>;
