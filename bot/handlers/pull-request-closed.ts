import { bumpFromLabels } from "../../core/bot/bump-from-labels.ts";
import { ModelshipError } from "../../core/errors.ts";
import { planRelease } from "../../core/pipeline/plan-release.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import { signatureChanged } from "../../core/version/auto-bump.ts";
import type { BotEnv } from "../bot-event.ts";
import { deployVersion } from "../deploy-version.ts";
import { loadModelCheck } from "../load-model-check.ts";
import { findMergedCandidate } from "../find-merged-candidate.ts";
import { compareTrainingRun } from "../report-training-run.ts";
import { repoConfig } from "../repo-config.ts";

export type PullRequestClosedPayload = {
  pull_request: { number: number; merged?: boolean | null; head: { sha: string } };
};

const RELEASE_MARKER = "<!-- modelship:release -->";

/**
 * A merged PR whose head has a passing `modelship/train` result: register the candidate with the
 * Releases backend (bump from a `model:*` label, else from the gate result), then deploy it to the
 * configured environment. Registering the same run again finds the existing version, and the
 * deployment is reused, so a redelivered event creates nothing twice.
 */
export async function handlePullRequestClosed(env: BotEnv, payload: PullRequestClosedPayload): Promise<void> {
  if (payload.pull_request.merged !== true) return;
  const { gh } = env;
  const loaded = await repoConfig(gh);
  if (!loaded.ok) return;
  const config = loaded.config;
  const pull = await gh.pull(payload.pull_request.number);
  if (!pull.merged || !pull.mergeCommitSha) return;
  const say = (text: string) => gh.upsertComment(pull.number, RELEASE_MARKER, `${RELEASE_MARKER}\n${text}`);
  const found = await findMergedCandidate(gh, config, pull);
  if (!found.ok) {
    if (found.message) await say(`Modelship did not release a model: ${found.message} (\`${found.reason}\`)`);
    return;
  }
  const { correlation, run } = found;
  const compared = await compareTrainingRun({
    env,
    config,
    correlation,
    run,
    ...(found.pin ? { pin: found.pin } : {}),
  });
  if (!compared.ok) {
    await say(
      `Modelship did not release a model: ${escapeMarkdown(compared.message || compared.reason)} (\`${compared.reason}\`)`,
    );
    return;
  }
  const labelBump = bumpFromLabels(pull.labels);
  if (!labelBump.ok) {
    await say(
      `Modelship did not release a model: the labels ${labelBump.labels.map((l) => `\`${l}\``).join(", ")} disagree; keep one. (\`${labelBump.reason}\`)`,
    );
    return;
  }
  const registry = await gh.registry({
    tagFormat: config.registry.tagFormat,
    targetCommitish: pull.mergeCommitSha,
    lineageLinks: { "Merge commit": pull.mergeCommitSha, "Workflow run": run.htmlUrl },
  });
  const latest = await registry.latest(config.model.name);
  const plan = planRelease({
    comparison: compared.comparison,
    bump: labelBump.bump ?? config.registry.bump,
    signatureChanged: latest
      ? signatureChanged(latest.signature, compared.candidate.record.signature)
      : false,
  });
  if (plan.action === "stop") {
    await say(
      `Modelship did not release a model: ${plan.failed.length} gate(s) failed. (\`${plan.reason}\`)`,
    );
    return;
  }
  let registered;
  try {
    registered = await registry.register({
      runDir: compared.candidate.dir,
      name: config.model.name,
      bump: plan.bump,
      pr: pull.number,
      now: env.now(),
      // The same load check as the CLI's and the Action's register: it loads and answers once.
      checkModel: await loadModelCheck(),
    });
  } catch (err) {
    if (!(err instanceof ModelshipError && err.code === "model-load-failed")) throw err;
    const why = escapeMarkdown(err.problems[0]?.message ?? err.message, { maxLength: 500 });
    await say(`Modelship did not release a model: its model/model.onnx ${why} (\`model-load-failed\`)`);
    return;
  }
  const version = registered.version.version;
  const deployed = await deployVersion({
    gh,
    config,
    environment: config.deploy.environment,
    version,
    ref: pull.mergeCommitSha,
    checkSha: pull.headSha,
    pr: pull.number,
    kind: "merge",
    actor: null,
    fromFork: pull.fromFork,
  });
  const deployText =
    deployed.outcome === "refused"
      ? `Not deployed to \`${config.deploy.environment}\`: ${deployed.message} (\`${deployed.reason}\`)`
      : `Deploying to \`${config.deploy.environment}\` (deployment ${deployed.deploymentId}).`;
  await say(
    `Released **${escapeMarkdown(config.model.name)} ${version}** (${registered.outcome === "created" ? plan.reason : "already registered"}, tag \`${registered.version.tag}\`). ${deployText}`,
  );
}
