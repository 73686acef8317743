import { materializeCached } from "../compare/baseline.ts";
import type { Problem } from "../../core/errors.ts";
import type { DeployTarget } from "../../core/rollout/deploy-target.ts";
import type { ModelVersion, Registry } from "../../core/registry/registry-port.ts";
import type { DeploymentControl } from "./deployment-control.ts";

/**
 * The local router as a `DeployTarget`: versions are materialised (and verified) under
 * `<home>/.modelship/versions`, and rollouts run on the router behind `control`.
 */
export function localTarget(o: {
  control: DeploymentControl;
  registry: Registry;
  home: string;
  url?: string;
  /** Told about a cached copy that failed verification (and was fetched again). */
  warn?: (problem: Problem) => void;
}): DeployTarget {
  const withUrl = <T>(r: T) => (o.url === undefined ? r : { ...r, url: o.url });
  return {
    liveVersion: async () => (await o.control.status()).active?.version ?? null,
    previousVersion: async () => (await o.control.status()).previous?.version,
    async materialise(version: ModelVersion) {
      const modelDir = await materializeCached(o.registry, o.home, version, ...(o.warn ? [o.warn] : []));
      return { name: version.name, version: version.version, modelDir };
    },
    deploy: async (target, plan) => withUrl(await o.control.deploy(plan ? { ...target, plan } : target)),
    rollback: async () => withUrl(await o.control.rollback()),
  };
}
