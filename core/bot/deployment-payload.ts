import { z } from "zod";
import { TrafficStrategySchema } from "../config/traffic-schema.ts";
import type { DeploymentPayload } from "./plan-deployment.ts";

/** The deployment payload as read back from GitHub (untrusted until parsed). */
export const DeploymentPayloadSchema = z.object({
  model: z.string().min(1).max(63),
  version: z.string().min(1).max(100),
  strategy: TrafficStrategySchema,
  previousVersion: z.string().min(1).max(100).nullable(),
  environment: z.string().min(1).max(100),
  pr: z.number().int().positive().nullable(),
});

/** Parses a deployment's payload (object or JSON text); undefined when it is not a Modelship payload. */
export function parseDeploymentPayload(payload: unknown): DeploymentPayload | undefined {
  let value = payload;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const parsed = DeploymentPayloadSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The version live in an environment: the newest deployment of this model whose latest status is
 * success. Deployments arrive newest first.
 */
export function liveVersion(
  deployments: readonly { payload: unknown; latestState: string | null }[],
  model: string,
): { version: string; previousVersion: string | null } | null {
  for (const d of deployments) {
    const p = parseDeploymentPayload(d.payload);
    if (p?.model === model && d.latestState === "success")
      return { version: p.version, previousVersion: p.previousVersion };
  }
  return null;
}

/** The App's own deployments of `model`, newest first: those `creator` (the App's bot user) made. */
export function appDeployments<D extends { payload: unknown; creator: string | null }>(
  deployments: readonly D[],
  creator: string,
  model: string,
): D[] {
  return deployments.filter(
    (d) => d.creator === creator && parseDeploymentPayload(d.payload)?.model === model,
  );
}

/**
 * What a rollback returns to, from the App's history of deployment statuses (never a payload's
 * `previousVersion`): the newest successful version other than the newest attempt's.
 */
export function rollbackTarget(
  history: readonly { payload: unknown; latestState: string | null }[],
): string | null {
  const newest = parseDeploymentPayload(history[0]?.payload)?.version;
  for (const d of history) {
    const version = parseDeploymentPayload(d.payload)?.version;
    if (d.latestState === "success" && version !== undefined && version !== newest) return version;
  }
  return null;
}
