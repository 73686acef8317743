import type { DeploymentView, KubernetesApi } from "./kubernetes-api.ts";
import { sleep } from "./sleep.ts";

export type ReadyResult = { ready: true } | { ready: false; message: string };

/**
 * Polls a Deployment until every pod of its newest generation is Ready, as `kubectl rollout
 * status` does: the controller saw the change, all replicas are updated and ready, no old pod is left.
 */
export async function waitDeploymentReady(opts: {
  api: KubernetesApi;
  name: string;
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
}): Promise<ReadyResult> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "not read yet";
  for (;;) {
    try {
      const d = await opts.api.readDeployment(opts.name);
      if (d === null) last = "the Deployment does not exist";
      else if (d.stalled !== null)
        return { ready: false, message: `Deployment ${opts.name} stalled: ${d.stalled}` };
      else if (isRolledOut(d)) return { ready: true };
      else last = describe(d);
    } catch (err) {
      last = (err as Error).message;
    }
    if (opts.signal?.aborted) return { ready: false, message: "aborted" };
    const left = deadline - Date.now();
    if (left <= 0) {
      const seconds = Math.round(opts.timeoutMs / 100) / 10;
      return { ready: false, message: `Deployment ${opts.name} was not ready within ${seconds} s (${last})` };
    }
    await sleep(Math.min(opts.intervalMs, left), opts.signal);
  }
}

/** True once the newest generation is fully rolled out and every pod passes its readiness probe. */
export function isRolledOut(d: DeploymentView): boolean {
  const s = d.status;
  return (
    s.observedGeneration >= d.generation &&
    s.updatedReplicas === d.replicas &&
    s.replicas === d.replicas &&
    s.readyReplicas === d.replicas &&
    s.availableReplicas === d.replicas
  );
}

function describe(d: DeploymentView): string {
  const s = d.status;
  if (s.observedGeneration < d.generation) return "the controller has not seen the new spec yet";
  return `${s.readyReplicas}/${d.replicas} ready, ${s.updatedReplicas} updated, ${s.replicas} in total`;
}
