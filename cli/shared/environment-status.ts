import type { DeploymentStatus } from "../../adapters/deploy-local/deployment-control.ts";
import type { DeployState } from "../../core/rollout/deploy-state.ts";

/**
 * What `modelship status` reports: the running router's own status, or — when no router
 * answers — the environment's state file, which still knows what was live and since when.
 */
export type EnvironmentStatus =
  | (DeploymentStatus & { serving: true })
  | (DeployState & { serving: false; url: null; traffic: []; rollout: null });

/** The state file's view of an environment whose router is not running. */
export function stoppedStatus(state: DeployState): EnvironmentStatus {
  return { ...state, serving: false, url: null, traffic: [], rollout: null };
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
    ...rolloutLines(s),
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

/** The rollout in progress and each slot's share of traffic, requests, errors and latency. */
function rolloutLines(s: EnvironmentStatus): string[] {
  const r = s.rollout;
  const lines: string[] = [];
  if (r) {
    const step = r.step !== null && r.steps ? ` step ${r.step}/${r.steps.length} (${r.weight}%)` : "";
    lines.push(`  rollout:   ${r.strategy} of v${r.version}${step}, ${r.phase}`);
  }
  for (const t of s.traffic) {
    const share = t.shadowPercent === null ? `${t.weight}%` : `shadow ${t.shadowPercent}%`;
    const ms = (x: number | null) => (x === null ? "-" : `${x}`);
    lines.push(
      `  ${t.variant.padEnd(9)}  v${t.version} on ${t.slot}: ${share}, ${t.requests} requests, ${(t.errorRate * 100).toFixed(1)}% errors, p50/p95/p99 ${ms(t.p50Ms)}/${ms(t.p95Ms)}/${ms(t.p99Ms)} ms`,
    );
  }
  return lines;
}
