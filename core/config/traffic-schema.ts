import { z } from "zod";

/** How a new version takes traffic from the live one. */
export const TrafficStrategySchema = z
  .enum(["blue-green", "canary", "ab", "shadow"])
  .describe(
    "blue-green: all traffic moves at once after the analysis; canary: traffic moves in weighted steps with the analysis at each step; ab: a fixed, sticky split until promote or abort; shadow: the new version answers copies of requests that clients never see.",
  );

export type TrafficStrategy = z.infer<typeof TrafficStrategySchema>;

const Percent = z.number().min(0).max(100);

/** Canary steps, as Argo Rollouts' setWeight/pause pairs. */
export const CanarySchema = z
  .object({
    steps: z
      .array(Percent.gt(0))
      .min(1)
      .default([10, 50, 100])
      .refine((s) => s.every((w, i) => i === 0 || w > (s[i - 1] ?? 0)), "weights must increase")
      .describe(
        "Percent of traffic on the new version at each step; the last step reaching 100 promotes it.",
      ),
    pauseSeconds: z
      .number()
      .nonnegative()
      .nullable()
      .default(60)
      .describe(
        "How long each step runs, with the analysis, before the next; null waits after each step's check for `modelship promote --step` (next step) or `modelship promote` (all traffic).",
      ),
  })
  .strict();

/** A/B split: a fixed share of traffic, sticky per request key. */
export const AbSchema = z
  .object({
    weight: Percent.default(50).describe("Percent of traffic sent to the new version."),
    stickyHeader: z
      .string()
      .regex(/^[a-z0-9-]+$/, "a lower-case HTTP header name")
      .default("x-modelship-key")
      .describe("Request header whose value picks the variant, so one user always sees one variant."),
  })
  .strict();

/** Shadow: the new version answers copies; clients always get the stable answer. */
export const ShadowSchema = z
  .object({
    percent: Percent.default(100).describe("Percent of requests copied to the new version."),
  })
  .strict();
