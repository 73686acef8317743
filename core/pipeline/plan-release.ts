import type { Comparison } from "../compare/compare-runs.ts";
import { autoBump } from "../version/auto-bump.ts";
import type { Bump } from "../version/next-version.ts";

export type BumpSetting = "auto" | Bump;

/** Why a candidate is or is not released. Closed set, shown to users. */
export type ReleaseReason =
  "gates-passed" | "first-version" | "gates-failed" | "gates-overridden" | "explicit-version";

export type ReleasePlan =
  | { action: "register"; bump: Bump | { exact: string }; reason: ReleaseReason }
  | { action: "stop"; reason: "gates-failed"; failed: Comparison["failed"] };

/**
 * Decides whether a compared candidate becomes a version, and which one: an explicit version
 * wins, then a fixed bump setting, else `auto` (signature change → major, primary metric
 * improved → minor, anything else → patch). A failed gate stops the release unless overridden.
 */
export function planRelease(input: {
  comparison: Comparison;
  bump: BumpSetting;
  exactVersion?: string;
  signatureChanged: boolean;
  allowFailedGates?: boolean;
}): ReleasePlan {
  const { comparison } = input;
  if (!comparison.passed && !input.allowFailedGates) {
    return { action: "stop", reason: "gates-failed", failed: comparison.failed };
  }
  const reason: ReleaseReason = !comparison.passed
    ? "gates-overridden"
    : input.exactVersion
      ? "explicit-version"
      : comparison.baseline
        ? "gates-passed"
        : "first-version";
  if (input.exactVersion) return { action: "register", bump: { exact: input.exactVersion }, reason };
  const bump =
    input.bump === "auto"
      ? autoBump({
          signatureChanged: input.signatureChanged,
          primaryImproved: comparison.primary?.improved ?? false,
        })
      : input.bump;
  return { action: "register", bump, reason };
}
