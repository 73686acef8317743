import { z } from "zod";
import type { Config } from "../config/schema.ts";
import { AbSchema, CanarySchema, ShadowSchema } from "../config/traffic-schema.ts";
import type { TrafficStrategy } from "../config/traffic-schema.ts";
import { ModelshipError } from "../errors.ts";
import type { TrafficPlan } from "./rollout-types.ts";

const Pct = z.number().min(0).max(100);

/** A traffic plan as the admin surface receives it. */
export const TrafficPlanSchema = z.discriminatedUnion("strategy", [
  z.object({ strategy: z.literal("blue-green") }).strict(),
  z
    .object({
      strategy: z.literal("canary"),
      steps: z.array(Pct.gt(0)).min(1),
      pauseMs: z.number().nonnegative().nullable(),
    })
    .strict(),
  z.object({ strategy: z.literal("ab"), weight: Pct }).strict(),
  z.object({ strategy: z.literal("shadow"), percent: Pct }).strict(),
]) satisfies z.ZodType<TrafficPlan>;

/** What a deploy asks for on top of the config: `--canary 10,50,100 --pause 60`, `--ab 20`, `--shadow 100`. */
export type TrafficOverride = {
  strategy?: TrafficStrategy;
  /** Canary weights in percent. */
  steps?: number[];
  /** Canary pause per step, in seconds; null waits for `promote`. */
  pauseSeconds?: number | null;
  /** A/B: percent of traffic on the new version. */
  weight?: number;
  /** Shadow: percent of requests copied to the new version. */
  percent?: number;
};

/**
 * The traffic plan of one deploy: the config's `deploy.strategy` and its section, with what the
 * deploy asked for on top. Values are checked by the config's own schemas; a bad one is a
 * ModelshipError naming the option.
 */
export function trafficPlan(deploy: Config["deploy"], o: TrafficOverride = {}): TrafficPlan {
  const strategy = o.strategy ?? deploy.strategy;
  switch (strategy) {
    case "blue-green":
      return { strategy };
    case "canary": {
      const c = checked(CanarySchema, "--canary/--pause", {
        steps: o.steps ?? deploy.canary.steps,
        pauseSeconds: o.pauseSeconds === undefined ? deploy.canary.pauseSeconds : o.pauseSeconds,
      });
      return { strategy, steps: c.steps, pauseMs: c.pauseSeconds === null ? null : c.pauseSeconds * 1000 };
    }
    case "ab":
      return {
        strategy,
        weight: checked(AbSchema, "--ab", { ...deploy.ab, weight: o.weight ?? deploy.ab.weight }).weight,
      };
    case "shadow":
      return {
        strategy,
        percent: checked(ShadowSchema, "--shadow", { percent: o.percent ?? deploy.shadow.percent }).percent,
      };
  }
}

function checked<T extends z.ZodType>(schema: T, option: string, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new ModelshipError({
    code: "option-invalid",
    message: `${option}: ${issue ? `${issue.path.join(".") || "value"} ${issue.message}` : "invalid"}`,
    hint: "Canary weights are increasing percents above 0 (e.g. 10,50,100); A/B and shadow take one percent from 0 to 100.",
  });
}
