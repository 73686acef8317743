import type { Context } from "probot";
import { completeCheckRun, createCheckRun, listCheckRuns, updateCheckRun } from "../adapters/github/check-runs.ts";
import { getPermission } from "../adapters/github/permissions.ts";
import { upsertStickyComment } from "../adapters/github/upsert-sticky-comment.ts";
import type { Registry } from "../core/registry/registry-port.ts";
import type { BotGitHub, DeploymentInfo, LockState } from "./github-port.ts";

type Octokit = Context["octokit"];

const LOCK_PREFIX = "refs/heads/modelship-lock/";

function status(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err ? Number((err as { status: unknown }).status) : undefined;
}

/** The App's GitHub port over Probot's authenticated Octokit for the event's repository. */
export function createOctokitBotGitHub(
  context: Context,
  opts: { now?: () => Date; registry?: (octokit: Octokit, owner: string, repo: string) => Registry } = {},
): BotGitHub {
  const now = opts.now ?? (() => new Date());
  const octokit = context.octokit;
  const { owner, repo } = context.repo();
  const r = { owner, repo };

  return {
    owner,
    repo,
    async readDefaultBranchFile(path) {
      try {
        // No ref: GitHub answers from the default branch.
        const { data } = await octokit.rest.repos.getContent({ ...r, path });
        if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
        return Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? "base64").toString("utf8");
      } catch (err) {
        if (status(err) === 404) return null;
        throw err;
      }
    },
    async loadMergedConfig(path) {
      const { config } = await octokit.config.get({ ...r, path });
      return config as Record<string, unknown>;
    },
    permission(login) {
      return getPermission(octokit, { ...r, username: login });
    },
    async react(commentId, content) {
      await octokit.rest.reactions.createForIssueComment({ ...r, comment_id: commentId, content });
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
        fromFork: data.head.repo === null || data.head.repo.full_name.toLowerCase() !== `${owner}/${repo}`.toLowerCase(),
        baseRef: data.base.ref,
        labels: (data.labels ?? []).map((l) => l.name ?? "").filter((n) => n !== ""),
      };
    },
    async pullFiles(number) {
      const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...r, pull_number: number, per_page: 100 });
      return files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]);
    },
    async approvedReview(number, sha) {
      try {
        const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { ...r, pull_number: number, per_page: 100 });
        // A reviewer's latest review counts; an approval on an older commit does not cover `sha`.
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
        const runs = await octokit.paginate(octokit.rest.checks.listForRef, { ...r, ref: sha, per_page: 100 });
        const relevant = runs.filter((c) => !ignore.includes(c.name));
        const checksOk = relevant.every((c) => c.status === "completed" && ["success", "neutral", "skipped"].includes(c.conclusion ?? ""));
        const { data } = await octokit.rest.repos.getCombinedStatusForRef({ ...r, ref: sha });
        const statusOk = data.total_count === 0 || data.state === "success";
        return checksOk && statusOk;
      } catch {
        return null;
      }
    },
    async dispatchWorkflow(workflow, ref, inputs) {
      await octokit.rest.actions.createWorkflowDispatch({ ...r, workflow_id: workflow, ref, inputs });
    },
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
      if (input.status === "completed") await this.updateCheckRun(created.id, input);
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
    listCheckRuns(headSha, name) {
      return listCheckRuns(octokit, { ...r, ref: headSha, name });
    },
    async listWorkflowRuns(workflow, headSha) {
      const { data } = await octokit.rest.actions.listWorkflowRuns({ ...r, workflow_id: workflow, head_sha: headSha, per_page: 100 });
      return data.workflow_runs.map((w) => ({
        id: w.id,
        displayTitle: w.display_title,
        status: w.status ?? null,
        conclusion: w.conclusion ?? null,
        htmlUrl: w.html_url,
        headSha: w.head_sha,
      }));
    },
    async downloadRunArtifact() {
      throw new Error("downloadRunArtifact: waiting for adapters/github");
    },
    registry() {
      if (!opts.registry) throw new Error("registry: waiting for adapters/github");
      return opts.registry(octokit, owner, repo);
    },
    async listDeployments(environment) {
      const { data } = await octokit.rest.repos.listDeployments({ ...r, environment, per_page: 30 });
      const out: DeploymentInfo[] = [];
      for (const d of data) {
        const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ ...r, deployment_id: d.id, per_page: 1 });
        out.push({ id: d.id, sha: d.sha, environment: d.environment ?? environment, payload: d.payload, latestState: statuses[0]?.state ?? null });
      }
      return out;
    },
    async createDeployment(input) {
      const res = await octokit.rest.repos.createDeployment({
        ...r,
        ref: input.ref,
        environment: input.environment,
        payload: input.payload as unknown as Record<string, unknown>,
        description: input.description,
        auto_merge: false,
        // Modelship enforces its own gates (reviews, green checks) before it gets here.
        required_contexts: [],
        production_environment: input.environment === "production",
      });
      if (res.status !== 201 || !("id" in res.data)) throw new Error(`deployment not created: ${JSON.stringify(res.data).slice(0, 200)}`);
      return { id: res.data.id };
    },
    async getLock(environment): Promise<LockState> {
      try {
        const { data } = await octokit.rest.git.getRef({ ...r, ref: `${LOCK_PREFIX.slice(5)}${environment}` });
        const { data: commit } = await octokit.rest.git.getCommit({ ...r, commit_sha: data.object.sha });
        return { locked: true, owner: /^modelship lock: (\S+)/.exec(commit.message)?.[1] ?? null };
      } catch (err) {
        if (status(err) === 404) return { locked: false };
        throw err;
      }
    },
    async acquireLock(environment, lockOwner) {
      const { data: base } = await octokit.rest.repos.get(r);
      const { data: head } = await octokit.rest.git.getRef({ ...r, ref: `heads/${base.default_branch}` });
      const { data: commit } = await octokit.rest.git.createCommit({
        ...r,
        message: `modelship lock: ${lockOwner} ${environment}`,
        tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        parents: [head.object.sha],
      });
      try {
        await octokit.rest.git.createRef({ ...r, ref: `${LOCK_PREFIX}${environment}`, sha: commit.sha });
        return { ok: true };
      } catch (err) {
        if (status(err) !== 422) throw err;
        const current = await this.getLock(environment);
        return { ok: false, owner: current.locked ? current.owner : null };
      }
    },
    async releaseLock(environment) {
      try {
        await octokit.rest.git.deleteRef({ ...r, ref: `${LOCK_PREFIX.slice(5)}${environment}` });
        return true;
      } catch (err) {
        if (status(err) === 404 || status(err) === 422) return false;
        throw err;
      }
    },
  };
}
