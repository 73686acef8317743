import type { DeploymentStatus } from "../../adapters/deploy-local/deployment-control.ts";
import type { DeployState } from "../../core/rollout/deploy-state.ts";

/**
 * What `modelship status` reports: the running router's own status, or — when no router
 * answers — the environment's state file, which still knows what was live and since when.
 */
export type EnvironmentStatus =
  (DeploymentStatus & { serving: true }) | (DeployState & { serving: false; url: null; traffic: null });

/** The state file's view of an environment whose router is not running. */
export function stoppedStatus(state: DeployState): EnvironmentStatus {
  return { ...state, serving: false, url: null, traffic: null };
}

/** `status` as text: what is (or was last) live, what was before, the last rollouts. */
export function describeStatus(env: string, s: EnvironmentStatus): string {
  const live = s.active ? `v${s.active.version} on ${s.active.colour} since ${s.active.since}` : "nothing";
  const head = s.serving
    ? [`${env}: serving on ${s.url}`, `  live:      ${live}`]
    : [`${env}: not serving (no router running)`, `  last live: ${live}`];
  const lines = [
    ...head,
    `  previous:  ${s.previous ? `v${s.previous.version}` : "-"}`,
    ...s.history
      .slice(-5)
      .reverse()
      .map(
        (r) =>
          `  ${r.startedAt}  ${r.kind} v${r.version}  ${r.outcome ?? r.phase}${r.reason ? ` [${r.reason}]` : ""}`,
      ),
  ];
  if (!s.serving) lines.push(`  start it with \`modelship up --env ${env}\``);
  return `${lines.join("\n")}\n`;
}
