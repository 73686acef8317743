import { z } from "zod";

/** Where training writes the profile in a run directory (registered with the version like every file). */
export const REFERENCE_PROFILE_PATH = "model/reference-profile.json";

/** Numeric columns with at most this many distinct reference values also keep their value counts. */
export const FEW_VALUES = 5;

/** Reference values kept per numeric column: every value up to this many rows, else this many order statistics. */
export const PROFILE_VALUES_LIMIT = 1000;

const Count = z.number().int().nonnegative();

export const NumericProfileSchema = z.object({
  kind: z.literal("numeric"),
  count: Count.describe("Reference rows with a value."),
  missing: Count,
  distinct: Count,
  mean: z.number(),
  std: z.number().nonnegative().describe("Population standard deviation (ddof 0)."),
  min: z.number(),
  max: z.number(),
  quantiles: z.record(z.string(), z.number()).describe("p01 … p99 by linear interpolation."),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(Count) }),
  deciles: z.array(z.number()).describe("The 9 inner cut points PSI bins by."),
  values: z
    .array(z.number())
    .describe(
      "Sorted: every value while count ≤ 1000, else 1000 evenly spaced order statistics (`sampled`).",
    ),
  sampled: z.boolean(),
  frequencies: z
    .record(z.string(), Count)
    .optional()
    .describe("Value counts, kept when the column has at most 5 distinct values."),
});
export type NumericProfile = z.infer<typeof NumericProfileSchema>;

export const CategoricalProfileSchema = z.object({
  kind: z.literal("categorical"),
  count: Count,
  missing: Count,
  distinct: Count,
  frequencies: z.record(z.string(), Count).describe("Rows per value (booleans and numbers as text)."),
});
export type CategoricalProfile = z.infer<typeof CategoricalProfileSchema>;

export const ColumnProfileSchema = z.discriminatedUnion("kind", [
  NumericProfileSchema,
  CategoricalProfileSchema,
]);
export type ColumnProfile = z.infer<typeof ColumnProfileSchema>;

export const ReferenceProfileSchema = z.object({
  format: z.literal("modelship.reference-profile/1"),
  model: z.string(),
  rows: Count.describe("Reference rows: the training split."),
  features: z.array(z.object({ name: z.string() }).and(ColumnProfileSchema)),
  prediction: z
    .object({
      name: z.string().describe("`label` (classification) or `prediction` (regression)."),
      rows: Count.describe("Validation rows the predictions were made on."),
      labels: z.array(z.string()).optional(),
    })
    .and(ColumnProfileSchema)
    .nullable(),
});
export type ReferenceProfile = z.infer<typeof ReferenceProfileSchema>;
