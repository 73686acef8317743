import { planRelease } from "../../core/pipeline/plan-release.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import { renderComparisonMarkdown } from "../../core/report/render-markdown.ts";
import { signatureChanged } from "../../core/version/auto-bump.ts";
import { loadActionConfig, refuseOnPullRequest, type CommandContext } from "../command-context.ts";
import { cliModelCheck } from "../cli-model-check.ts";
import { openActionRegistry } from "../github-services.ts";
import { metricsJson } from "../metrics-json.ts";
import type { ActionOutcome } from "../outcome.ts";
import { compareWithBaseline, gateAnnotations, writeReport } from "./report.ts";

/**
 * `register`: compares the run with production, plans the version (planRelease) and stores it as a
 * GitHub Release (tag, release, assets, sha256 manifest). Registering the same run again is a no-op.
 */
export async function registerCommand(ctx: CommandContext): Promise<ActionOutcome> {
  refuseOnPullRequest(ctx);
  const config = await loadActionConfig(ctx);
  const registry = openActionRegistry(ctx, config);
  const compared = await compareWithBaseline(ctx, config);
  const name = config.model.name;
  const latest = await registry.latest(name);
  const plan = planRelease({
    comparison: compared.comparison,
    bump: config.registry.bump,
    ...(ctx.inputs.version ? { exactVersion: ctx.inputs.version } : {}),
    signatureChanged: latest
      ? signatureChanged(latest.signature, compared.candidate.record.signature)
      : false,
  });
  const markdown = renderComparisonMarkdown(compared.comparison, {
    modelName: name,
    ...(ctx.action.runUrl ? { runUrl: ctx.action.runUrl } : {}),
  });
  const reportPath = await writeReport(ctx, name, markdown);
  const metrics = metricsJson(compared.candidate.metrics);
  if (plan.action === "stop") {
    return {
      decision: "fail",
      reasonCode: plan.reason,
      message: `${name}: not registered, ${plan.failed.length} gate${plan.failed.length === 1 ? "" : "s"} failed`,
      outputs: { "report-path": reportPath, metrics },
      summary: `## Modelship · register\n\n**❌ Not registered**: a gate failed.\n\n${markdown}`,
      annotations: gateAnnotations(compared),
    };
  }
  const pr = ctx.inputs.pr ?? ctx.action.pullRequest;
  const result = await registry.register({
    runDir: compared.candidate.dir,
    name,
    bump: plan.bump,
    ...(pr !== undefined ? { pr } : {}),
    now: ctx.now(),
    // The same load check as the CLI's register: the model loads in onnxruntime and answers once.
    checkModel: cliModelCheck(ctx),
  });
  const v = result.version;
  const created = result.outcome === "created";
  return {
    decision: "pass",
    reasonCode: created ? "registered" : "already-registered",
    message: `${name} ${v.version} ${created ? "registered" : "was already registered"} (tag ${v.tag}; ${plan.reason})`,
    outputs: { version: v.version, "report-path": reportPath, metrics },
    summary: [
      "## Modelship · register",
      "",
      `**✅ ${created ? "Registered" : "Already registered"}**: ${escapeMarkdown(name)} **v${escapeMarkdown(v.version)}** (tag \`${escapeMarkdown(v.tag)}\`, ${v.artifacts.length} files with sha256 digests; ${plan.reason}).`,
      "",
      markdown,
    ].join("\n"),
    annotations: [],
  };
}
