import { connectLocalDeployment } from "../adapters/deploy-local/connect-local-deployment.ts";
import type { Config } from "../core/config/schema.ts";
import { ModelshipError } from "../core/errors.ts";
import {
  abReportMarker,
  buildAbReport,
  renderAbReport,
  type AbReport,
} from "../core/monitoring/ab-report.ts";
import type { CommandContext } from "./command-context.ts";
import { upsertReportComment } from "./github-services.ts";
import { localStateDir } from "./local-target.ts";

/** The A/B report of an environment, rendered, and where it went besides the job summary. */
export type PublishedAbReport = { report: AbReport; markdown: string; commentUrl: string | null };

/**
 * Reads the per-variant statistics from the environment's running router (never starts one),
 * builds the A/B report and, when a pull request is known, creates or updates its one A/B report
 * comment there. Only the local target measures variants: Kubernetes reports go through Prometheus.
 */
export async function publishAbReport(
  ctx: CommandContext,
  o: { config: Config; environment: string; pr: number | null },
): Promise<PublishedAbReport> {
  if (o.config.deploy.target !== "local") {
    throw new ModelshipError({
      code: "target-not-local",
      message: `the A/B report reads the local router's per-variant statistics, but deploy.target is ${o.config.deploy.target}`,
      hint: "On Kubernetes, read the variants' latency and errors from Prometheus (modelship_router_* and the servers' metrics) or the Grafana dashboard in templates/monitoring.",
    });
  }
  const control = await connectLocalDeployment(localStateDir(ctx).stateDir, o.environment);
  const status = await control.status();
  const report = buildAbReport({
    environment: o.environment,
    traffic: status.traffic,
    rollout: status.rollout,
  });
  const markdown = renderAbReport(report);
  if (o.pr === null) return { report, markdown, commentUrl: null };
  const marker = abReportMarker(o.config.model.name, o.environment);
  const comment = await upsertReportComment(ctx, { pr: o.pr, marker, body: `${marker}\n${markdown}` });
  return { report, markdown, commentUrl: comment.url };
}
