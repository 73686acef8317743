import { z } from "zod";
import type { DeploymentPayload } from "./plan-deployment.ts";

/** The deployment payload as read back from GitHub (untrusted until parsed). */
export const DeploymentPayloadSchema = z.object({
  model: z.string().min(1).max(63),
  version: z.string().min(1).max(100),
  strategy: z.literal("blue-green"),
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
