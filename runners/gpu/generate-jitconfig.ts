import { ModelshipError } from "../../core/errors.ts";
import { githubMessage, requestJson, type GitHubHttp } from "./github-http.ts";

/** Where the runner registers: one repository, or an organisation (runner groups live there). */
export type RunnerScope = { owner: string; repo: string } | { org: string };

export type JitConfigRequest = {
  scope: RunnerScope;
  name: string;
  runnerGroupId: number;
  labels: readonly string[];
  workFolder: string;
};

/** A registered one-job runner: its id, name and the encoded configuration `run.sh` needs. */
export type JitConfig = { runnerId: number; name: string; encodedJitConfig: string };

/** Reason codes of a failed registration; `permanent` ones stop the runner loop. */
export const JITCONFIG_REASONS = {
  "jitconfig-unauthorized": { permanent: true },
  "jitconfig-not-found": { permanent: true },
  "jitconfig-name-taken": { permanent: false },
  "jitconfig-rejected": { permanent: true },
  "jitconfig-failed": { permanent: false },
} as const;
export type JitConfigReason = keyof typeof JITCONFIG_REASONS;

function scopePath(scope: RunnerScope): string {
  return "org" in scope
    ? `/orgs/${encodeURIComponent(scope.org)}/actions/runners`
    : `/repos/${encodeURIComponent(scope.owner)}/${encodeURIComponent(scope.repo)}/actions/runners`;
}

/**
 * Registers a just-in-time runner (`POST …/actions/runners/generate-jitconfig`): it takes exactly
 * one job and is removed by GitHub afterwards, so no runner outlives its job.
 */
export async function generateJitConfig(http: GitHubHttp, req: JitConfigRequest): Promise<JitConfig> {
  const answer = await requestJson(http, "POST", `${scopePath(req.scope)}/generate-jitconfig`, {
    authorization: `Bearer ${await http.token()}`,
    body: {
      name: req.name,
      runner_group_id: req.runnerGroupId,
      labels: [...req.labels],
      work_folder: req.workFolder,
    },
  });
  const body = answer.body as {
    runner?: { id?: unknown; name?: unknown };
    encoded_jit_config?: unknown;
  } | null;
  if (
    answer.status === 201 &&
    typeof body?.encoded_jit_config === "string" &&
    typeof body.runner?.id === "number"
  ) {
    return {
      runnerId: body.runner.id,
      name: String(body.runner.name ?? req.name),
      encodedJitConfig: body.encoded_jit_config,
    };
  }
  const reason: JitConfigReason =
    answer.status === 401 || answer.status === 403
      ? "jitconfig-unauthorized"
      : answer.status === 404
        ? "jitconfig-not-found"
        : answer.status === 409
          ? "jitconfig-name-taken"
          : answer.status === 422
            ? "jitconfig-rejected"
            : "jitconfig-failed";
  const hints: Record<JitConfigReason, string> = {
    "jitconfig-unauthorized":
      "The token needs Administration: write on the repository (or Self-hosted runners: write on the organisation).",
    "jitconfig-not-found":
      "Check --repo/--org, and that the token's owner or GitHub App installation can see it.",
    "jitconfig-name-taken": "Another runner has this name; the next attempt uses a new one.",
    "jitconfig-rejected": "Check --runner-group-id and --labels (1 to 100 labels).",
    "jitconfig-failed": "GitHub answered unexpectedly; the runner retries with backoff.",
  };
  throw new ModelshipError({
    code: reason,
    message: `registering runner ${req.name} failed: ${githubMessage(answer)} (HTTP ${answer.status})`,
    hint: hints[reason],
  });
}

/** Removes a registered runner that never ran (for example when run.sh could not start). */
export async function deleteRunner(http: GitHubHttp, scope: RunnerScope, runnerId: number): Promise<void> {
  const answer = await requestJson(http, "DELETE", `${scopePath(scope)}/${runnerId}`, {
    authorization: `Bearer ${await http.token()}`,
  });
  if (answer.status !== 204 && answer.status !== 404) {
    throw new ModelshipError({
      code: "runner-delete-failed",
      message: `removing runner ${runnerId} failed: ${githubMessage(answer)} (HTTP ${answer.status})`,
    });
  }
}
