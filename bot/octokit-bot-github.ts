import type { Context } from "probot";
import {
  completeCheckRun,
  createCheckRun,
  listCheckRuns,
  updateCheckRun,
} from "../adapters/github/check-runs.ts";
import {
  acquireLock,
  createDeployment,
  listDeployments,
  readLock,
  releaseLock,
} from "../adapters/github/deployments.ts";
import { httpStatus } from "../adapters/github/http-status.ts";
import { publishPlotAssets, type AssetsGitPort } from "../adapters/github/publish-plot-assets.ts";
import { checkRunnerLabels } from "../adapters/github/runners.ts";
import { getPermission } from "../adapters/github/permissions.ts";
import { readAttestations, type AttestationsPort } from "../adapters/github/read-attestations.ts";
import { readReleaseProvenance, type ReleaseProvenancePort } from "../adapters/github/release-provenance.ts";
import { openGitHubReleasesRegistry } from "../adapters/github/releases-registry.ts";
import { upsertStickyComment } from "../adapters/github/upsert-sticky-comment.ts";
import {
  dispatchWorkflow,
  downloadArtifactDir,
  downloadRunArtifact,
  findRunByCorrelationId,
  getWorkflowRun,
} from "../adapters/github/workflows.ts";
import type { BotGitHub } from "./github-port.ts";
import { upsertCandidatePull } from "./open-candidate-pull.ts";
import { openFilesPull } from "./open-files-pull.ts";
import { closeMarkedIssue, findMarkedIssue, upsertMarkedIssue } from "./upsert-marked-issue.ts";

/** The App's GitHub port over Probot's authenticated Octokit, for the event's repository. */
export function createOctokitBotGitHub(context: Context, opts: { now?: () => Date } = {}): BotGitHub {
  const octokit = context.octokit;
  const now = opts.now ?? (() => new Date());
  const { owner, repo } = context.repo();
  const r = { owner, repo };

  const gh: BotGitHub = {
    owner,
    repo,
    readDefaultBranchFile: (path) => gh.readFileAt(path, ""),
    async readFileAt(path, ref) {
      try {
        // No ref: GitHub answers from the default branch.
        const { data } = await octokit.rest.repos.getContent({ ...r, path, ...(ref ? { ref } : {}) });
        if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
        return Buffer.from(data.content, "base64").toString("utf8");
      } catch (err) {
        if (httpStatus(err) === 404) return null;
        throw err;
      }
    },
    async loadMergedConfig(path) {
      const { config } = await octokit.config.get({ ...r, path });
      return config as Record<string, unknown>;
    },
    permission: (login) => getPermission(octokit, { ...r, username: login }),
    async react(commentId, content) {
      await octokit.rest.reactions.createForIssueComment({ ...r, comment_id: commentId, content });
    },
    async claimComment(commentId) {
      const reaction = { ...r, comment_id: commentId };
      const { status, data } = await octokit.rest.reactions.createForIssueComment({
        ...reaction,
        content: "rocket",
      });
      // GitHub answers 200 with the existing reaction when this user had already left it.
      if (status !== 201) return null;
      return async () => {
        await octokit.rest.reactions.deleteForIssueComment({ ...reaction, reaction_id: data.id });
      };
    },
    async comment(issueNumber, body) {
      await octokit.rest.issues.createComment({ ...r, issue_number: issueNumber, body });
    },
    async upsertComment(issueNumber, marker, body) {
      await upsertStickyComment(octokit, { ...r, issueNumber, marker, body });
    },
    async pull(number) {
      const { data } = await octokit.rest.pulls.get({ ...r, pull_number: number });
      return {
        number: data.number,
        state: data.state === "open" ? "open" : "closed",
        merged: data.merged === true,
        mergeCommitSha: data.merged ? (data.merge_commit_sha ?? null) : null,
        headSha: data.head.sha,
        headRef: data.head.ref,
        fromFork:
          data.head.repo === null ||
          data.head.repo.full_name.toLowerCase() !== `${owner}/${repo}`.toLowerCase(),
        byBot: data.user.type === "Bot",
        baseRef: data.base.ref,
        labels: (data.labels ?? []).map((l) => l.name ?? "").filter((n) => n !== ""),
      };
    },
    async pullFiles(number) {
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
        ...r,
        pull_number: number,
        per_page: 100,
      });
      return files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]);
    },
    async approvedReview(number, sha) {
      try {
        const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
          ...r,
          pull_number: number,
          per_page: 100,
        });
        // Each reviewer's latest decisive review counts; an approval of an older commit does not cover `sha`.
        const latest = new Map<string, { state: string; commit: string | null }>();
        for (const rv of reviews) {
          if (!rv.user || rv.state === "COMMENTED" || rv.state === "PENDING") continue;
          latest.set(rv.user.login, { state: rv.state, commit: rv.commit_id ?? null });
        }
        const states = [...latest.values()];
        if (states.some((s) => s.state === "CHANGES_REQUESTED")) return false;
        return states.some((s) => s.state === "APPROVED" && (sha === undefined || s.commit === sha));
      } catch {
        return null;
      }
    },
    async checksGreen(sha, ignore) {
      try {
        const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
          ...r,
          ref: sha,
          filter: "latest",
          per_page: 100,
        });
        const relevant = runs.filter((c) => !ignore.includes(c.name));
        const checksOk = relevant.every(
          (c) => c.status === "completed" && ["success", "neutral", "skipped"].includes(c.conclusion ?? ""),
        );
        const { data } = await octokit.rest.repos.getCombinedStatusForRef({ ...r, ref: sha });
        return checksOk && (data.total_count === 0 || data.state === "success");
      } catch {
        return null;
      }
    },
    dispatchWorkflow: (workflow, ref, inputs) => dispatchWorkflow(octokit, { ...r, workflow, ref, inputs }),
    runnerLabels: (labels) => checkRunnerLabels(octokit, { ...r, labels }),
    async createCheckRun(input) {
      const created = await createCheckRun(octokit, {
        ...r,
        name: input.name,
        headSha: input.headSha,
        externalId: input.externalId,
        status: input.status === "completed" ? "in_progress" : (input.status ?? "queued"),
        ...(input.detailsUrl ? { detailsUrl: input.detailsUrl } : {}),
        ...(input.output && input.status !== "completed" ? { output: input.output } : {}),
      });
      if (input.status === "completed") await gh.updateCheckRun(created.id, input);
      return created.id;
    },
    async updateCheckRun(id, update) {
      if (update.status === "completed") {
        await completeCheckRun(octokit, {
          ...r,
          checkRunId: id,
          conclusion: update.conclusion ?? "neutral",
          output: update.output ?? { title: "Done", summary: "" },
          ...(update.detailsUrl ? { detailsUrl: update.detailsUrl } : {}),
          now: now(),
        });
        return;
      }
      await updateCheckRun(octokit, {
        ...r,
        checkRunId: id,
        ...(update.status ? { status: update.status } : {}),
        ...(update.detailsUrl ? { detailsUrl: update.detailsUrl } : {}),
        ...(update.output ? { output: update.output } : {}),
      });
    },
    listCheckRuns: (headSha, name) => listCheckRuns(octokit, { ...r, ref: headSha, name }),
    findTrainingRun: (workflow, correlationId, headSha) =>
      findRunByCorrelationId(octokit, { ...r, workflow, correlationId, headSha }),
    async getWorkflowRun(runId) {
      try {
        const run = await getWorkflowRun(octokit, { ...r, runId });
        return { ...run, path: run.path };
      } catch (err) {
        if (httpStatus(err) === 404) return undefined;
        throw err;
      }
    },
    async downloadRunArtifact(runId, name, destDir, pin) {
      const result = await downloadRunArtifact(octokit, {
        ...r,
        runId,
        name,
        destDir,
        ...(pin ? { pin } : {}),
      });
      return result.ok
        ? { ok: true, dir: result.dir, artifact: { id: result.artifactId, name, digest: result.digest } }
        : result;
    },
    async downloadArtifactFiles(runId, name, destDir, check) {
      const result = await downloadArtifactDir(octokit, { ...r, runId, name, destDir }, check);
      return result.ok ? { ok: true, dir: result.dir } : result;
    },
    findIssue: (marker) => findMarkedIssue(octokit, { ...r, marker }),
    registry: (o) =>
      openGitHubReleasesRegistry(octokit as unknown as Parameters<typeof openGitHubReleasesRegistry>[0], {
        ...r,
        tagFormat: o.tagFormat,
        ...(o.targetCommitish ? { targetCommitish: o.targetCommitish } : {}),
        ...(o.lineageLinks ? { lineageLinks: o.lineageLinks } : {}),
      }),
    async listDeployments(environment) {
      const list = await listDeployments(octokit, { ...r, environment, limit: 30 });
      // GitHub marks older successful deployments inactive; the effective state ignores that.
      return list.map((d) => ({
        id: d.id,
        sha: d.sha,
        environment: d.environment,
        payload: d.payload,
        creator: d.creator,
        latestState: d.effectiveState,
      }));
    },
    releaseProvenance: (tag) =>
      readReleaseProvenance(octokit as unknown as ReleaseProvenancePort, { ...r, tag }),
    attestations: (sha256) => readAttestations(octokit as unknown as AttestationsPort, { ...r, sha256 }),
    async createDeployment(input) {
      const result = await createDeployment(octokit, {
        ...r,
        ref: input.ref,
        payload: input.payload,
        // Modelship checked reviews and checks itself (comment-triggered deploys bypass environment rules).
        requiredContexts: [],
        description: input.description,
        productionEnvironment: input.environment === "production",
      });
      if (result.outcome !== "created") throw new Error(`deployment not created: ${result.message}`);
      return { id: result.id };
    },
    openFilesPull: (input) => openFilesPull(octokit, { ...r, ...input }),
    upsertCandidatePull: (input) => upsertCandidatePull(octokit, { ...r, ...input }),
    upsertIssue: (input) => upsertMarkedIssue(octokit, { ...r, ...input }),
    closeIssue: (marker, comment) => closeMarkedIssue(octokit, { ...r, marker, comment }),
    async getLock(environment) {
      const lock = await readLock(octokit, { ...r, environment });
      return lock ? { locked: true, owner: lock.actor === "unknown" ? null : lock.actor } : { locked: false };
    },
    async acquireLock(environment, actor, reason) {
      const result = await acquireLock(octokit, { ...r, environment, actor, reason, sha: "", now: now() });
      return result.outcome === "acquired"
        ? { ok: true }
        : { ok: false, owner: result.holder?.actor ?? null };
    },
    publishPlotAssets: (input) =>
      publishPlotAssets(octokit as unknown as AssetsGitPort, {
        ...r,
        serverUrl: webOrigin(context, r),
        folder: input.folder,
        runDir: input.dir,
        plots: input.plots,
        message: input.message,
      }),
    async releaseLock(environment) {
      // /unlock is itself authorised (maintain by default), so it frees a lock whoever holds it.
      const result = await releaseLock(octokit, { ...r, environment, force: true });
      return result.outcome === "released";
    },
  };
  return gh;
}

/** GitHub's web origin for this repository (github.com, or a GitHub Enterprise host), from the payload. */
function webOrigin(context: Context, r: { owner: string; repo: string }): string {
  const repository = (context.payload as { repository?: { html_url?: string } }).repository;
  const url = repository?.html_url;
  const suffix = `/${r.owner}/${r.repo}`;
  if (url && url.toLowerCase().endsWith(suffix.toLowerCase())) return url.slice(0, -suffix.length);
  return "https://github.com";
}
