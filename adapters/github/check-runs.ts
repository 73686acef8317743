import {
  CHECK_ANNOTATIONS_PER_REQUEST,
  CHECK_OUTPUT_LIMIT,
  type CheckAnnotation,
  type CheckConclusion,
} from "../../core/bot/check-run-result.ts";
import { capText } from "../../core/github/cap-text.ts";

/** The check run Modelship reports training and comparison on. */
export const TRAIN_CHECK_NAME = "modelship/train";

export type CheckStatus = "queued" | "in_progress" | "completed";

export type CheckOutput = {
  title: string;
  summary: string;
  text?: string;
  annotations?: readonly CheckAnnotation[];
};

type CheckRunData = {
  id: number;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  details_url: string | null;
  html_url: string | null;
};

type OutputParam = {
  title: string;
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
};

/** What the check-run functions need of an Octokit client. */
export type CheckRunsPort = {
  rest: {
    checks: {
      create(params: {
        owner: string;
        repo: string;
        name: string;
        head_sha: string;
        status?: CheckStatus;
        conclusion?: CheckConclusion;
        external_id?: string;
        details_url?: string;
        started_at?: string;
        completed_at?: string;
        output?: OutputParam;
      }): Promise<{ data: CheckRunData }>;
      update(params: {
        owner: string;
        repo: string;
        check_run_id: number;
        status?: CheckStatus;
        conclusion?: CheckConclusion;
        details_url?: string;
        completed_at?: string;
        output?: OutputParam;
      }): Promise<{ data: CheckRunData }>;
      listForRef(params: {
        owner: string;
        repo: string;
        ref: string;
        check_name?: string;
        filter?: "latest" | "all";
        per_page?: number;
        page?: number;
      }): Promise<{ data: { total_count: number; check_runs: CheckRunData[] } }>;
    };
  };
};

export type CheckRunRef = {
  id: number;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  htmlUrl: string | null;
};

type Repo = { owner: string; repo: string };

/** Creates a check run (default name `modelship/train`, status queued); annotations beyond 50 follow in updates. */
export async function createCheckRun(
  octokit: CheckRunsPort,
  opts: Repo & {
    headSha: string;
    name?: string;
    status?: CheckStatus;
    externalId?: string;
    detailsUrl?: string;
    output?: CheckOutput;
    now?: Date;
  },
): Promise<CheckRunRef> {
  const batches = outputBatches(opts.output);
  const { data } = await octokit.rest.checks.create({
    owner: opts.owner,
    repo: opts.repo,
    name: opts.name ?? TRAIN_CHECK_NAME,
    head_sha: opts.headSha,
    status: opts.status ?? "queued",
    ...(opts.externalId !== undefined ? { external_id: opts.externalId } : {}),
    ...(opts.detailsUrl !== undefined ? { details_url: opts.detailsUrl } : {}),
    ...(opts.now !== undefined && opts.status === "in_progress"
      ? { started_at: opts.now.toISOString() }
      : {}),
    ...(batches[0] !== undefined ? { output: batches[0] } : {}),
  });
  await sendRemainingAnnotations(octokit, opts, data.id, batches);
  return toRef(data);
}

/** Updates a check run's status, link or output (annotations are appended, 50 per request). */
export async function updateCheckRun(
  octokit: CheckRunsPort,
  opts: Repo & {
    checkRunId: number;
    status?: Exclude<CheckStatus, "completed">;
    detailsUrl?: string;
    output?: CheckOutput;
  },
): Promise<CheckRunRef> {
  const batches = outputBatches(opts.output);
  const { data } = await octokit.rest.checks.update({
    owner: opts.owner,
    repo: opts.repo,
    check_run_id: opts.checkRunId,
    ...(opts.status !== undefined ? { status: opts.status } : {}),
    ...(opts.detailsUrl !== undefined ? { details_url: opts.detailsUrl } : {}),
    ...(batches[0] !== undefined ? { output: batches[0] } : {}),
  });
  await sendRemainingAnnotations(octokit, opts, data.id, batches);
  return toRef(data);
}

/** Completes a check run with a conclusion and its final output. */
export async function completeCheckRun(
  octokit: CheckRunsPort,
  opts: Repo & {
    checkRunId: number;
    conclusion: CheckConclusion;
    output: CheckOutput;
    detailsUrl?: string;
    now: Date;
  },
): Promise<CheckRunRef> {
  const batches = outputBatches(opts.output);
  const { data } = await octokit.rest.checks.update({
    owner: opts.owner,
    repo: opts.repo,
    check_run_id: opts.checkRunId,
    status: "completed",
    conclusion: opts.conclusion,
    completed_at: opts.now.toISOString(),
    ...(opts.detailsUrl !== undefined ? { details_url: opts.detailsUrl } : {}),
    output: batches[0] as OutputParam,
  });
  // GitHub appends annotations on every update, completed runs included.
  await sendRemainingAnnotations(octokit, opts, data.id, batches);
  return toRef(data);
}

/** Check runs with one name on a commit, newest first (all pages). */
export async function listCheckRuns(
  octokit: CheckRunsPort,
  opts: Repo & { ref: string; name?: string },
): Promise<CheckRunRef[]> {
  const out: CheckRunRef[] = [];
  for (let page = 1; ; page++) {
    const { data } = await octokit.rest.checks.listForRef({
      owner: opts.owner,
      repo: opts.repo,
      ref: opts.ref,
      check_name: opts.name ?? TRAIN_CHECK_NAME,
      filter: "all",
      per_page: 100,
      page,
    });
    out.push(...data.check_runs.map(toRef));
    if (data.check_runs.length < 100) return out;
  }
}

/**
 * Splits an output into requests GitHub accepts: summary and text capped at 65,535 characters,
 * at most 50 annotations each. The first batch carries everything else.
 */
export function outputBatches(output: CheckOutput | undefined): OutputParam[] {
  if (output === undefined) return [];
  const title = capText(output.title, 255);
  const summary = capText(output.summary, CHECK_OUTPUT_LIMIT);
  const annotations = [...(output.annotations ?? [])].map((a) => ({
    ...a,
    message: capText(a.message, 64_000),
    title: capText(a.title, 255),
  }));
  const base: OutputParam = {
    title,
    summary,
    ...(output.text !== undefined ? { text: capText(output.text, CHECK_OUTPUT_LIMIT) } : {}),
  };
  if (annotations.length === 0) return [base];
  const batches: OutputParam[] = [];
  for (let i = 0; i < annotations.length; i += CHECK_ANNOTATIONS_PER_REQUEST) {
    const chunk = annotations.slice(i, i + CHECK_ANNOTATIONS_PER_REQUEST);
    batches.push(i === 0 ? { ...base, annotations: chunk } : { title, summary, annotations: chunk });
  }
  return batches;
}

async function sendRemainingAnnotations(
  octokit: CheckRunsPort,
  repo: Repo,
  id: number,
  batches: OutputParam[],
): Promise<void> {
  for (const extra of batches.slice(1)) {
    await octokit.rest.checks.update({ owner: repo.owner, repo: repo.repo, check_run_id: id, output: extra });
  }
}

function toRef(d: CheckRunData): CheckRunRef {
  return {
    id: d.id,
    headSha: d.head_sha,
    status: d.status,
    conclusion: d.conclusion,
    externalId: d.external_id,
    detailsUrl: d.details_url,
    htmlUrl: d.html_url,
  };
}
