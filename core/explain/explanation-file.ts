import { z } from "zod";
import type { Explanation } from "./permutation-importance.ts";

/** `<run>/explanation.json`: the run's permutation importance (see Explanation). */
export const EXPLANATION_FILE = "explanation.json";

export const ExplanationSchema = z.object({
  metric: z.string(),
  repeats: z.number().int().positive(),
  baseline: z.number(),
  rows: z.number().int().nonnegative(),
  seed: z.number().int(),
  features: z.array(z.object({ name: z.string(), importance: z.number(), std: z.number() })),
  /** Raw feature values attributions are measured against: training means (numeric) and modes (categorical). */
  reference: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
}) satisfies z.ZodType<Explanation>;
