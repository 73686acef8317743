import type { AttestationBundle } from "../core/github/judge-attestations.ts";
import type { PublishedPlots } from "../adapters/github/publish-plot-assets.ts";
import type { ReleaseProvenance } from "../adapters/github/release-provenance.ts";
import type { RunnerLabelsResult } from "../adapters/github/runners.ts";
import type { RepositoryPermission } from "../core/bot/authorize-command.ts";
import type { CheckAnnotation, CheckConclusion } from "../core/bot/check-run-result.ts";
import type { DeploymentPayload } from "../core/bot/plan-deployment.ts";
import type { Registry } from "../core/registry/registry-port.ts";

/** A pull request as the App needs it. */
export type PullInfo = {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  headSha: string;
  headRef: string;
  /** True when the head lives in another repository. */
  fromFork: boolean;
  /** True when a bot (such as this App) opened it. */
  byBot: boolean;
  baseRef: string;
  labels: string[];
};

export type CheckRunInfo = {
  id: number;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId: string | null;
  detailsUrl: string | null;
};

export type CheckRunUpdate = {
  status?: "queued" | "in_progress" | "completed";
  conclusion?: CheckConclusion;
  detailsUrl?: string;
  output?: { title: string; summary: string; text?: string; annotations?: CheckAnnotation[] };
};

export type WorkflowRunInfo = {
  id: number;
  displayTitle: string;
  status: string | null;
  conclusion: string | null;
  htmlUrl: string;
  headSha: string;
};

export type DeploymentInfo = {
  id: number;
  sha: string;
  environment: string;
  payload: unknown;
  /** Who created it, as GitHub records it. */
  creator: string | null;
  /** The newest status state, or null when none was reported yet. */
  latestState: string | null;
};

export type LockState = { locked: false } | { locked: true; owner: string | null };

/** One artifact exactly: a candidate pull request pins it, and its release downloads only it. */
export type PinnedArtifact = { id: number; name: string; digest: string | null };

export type ArtifactDownload =
  | { ok: true; dir: string; artifact: PinnedArtifact }
  | {
      ok: false;
      reason:
        | "artifact-missing"
        | "artifact-expired"
        | "artifact-too-large"
        | "artifact-invalid"
        | "artifact-unsafe"
        | "run-dir-invalid";
      message: string;
    };

export type RegistryOptions = {
  tagFormat: string;
  /** The commit version tags point at (the merge commit); defaults to the default branch's head. */
  targetCommitish?: string;
  /** Extra lineage rows for the model card, e.g. the workflow run. */
  lineageLinks?: Record<string, string>;
};

/**
 * Everything the App asks of GitHub for one repository. Handlers see only this; the Octokit
 * implementation lives in `octokit-bot-github.ts` and reuses the `adapters/github` functions.
 */
export type BotGitHub = {
  readonly owner: string;
  readonly repo: string;
  /** A file's text on the default branch; null when absent. */
  readDefaultBranchFile(path: string): Promise<string | null>;
  /** Probot's config loader (follows `_extends`). */
  loadMergedConfig(path: string): Promise<Record<string, unknown> | null>;
  /** The commenter's repository permission; any API failure is `none`. */
  permission(login: string): Promise<RepositoryPermission>;
  react(commentId: number, content: "eyes" | "rocket" | "-1"): Promise<void>;
  /**
   * Puts the App's 🚀 on a comment before acting on it, as the record that it was acted on:
   * returns how to take it back (when the action fails), or null when the App's 🚀 was already
   * there (the same comment delivered again).
   */
  claimComment(commentId: number): Promise<(() => Promise<void>) | null>;
  comment(issueNumber: number, body: string): Promise<void>;
  /** Creates or edits the one comment that carries `marker` (all comment pages searched). */
  upsertComment(issueNumber: number, marker: string, body: string): Promise<void>;
  pull(number: number): Promise<PullInfo>;
  pullFiles(number: number): Promise<string[]>;
  /** An approving review that is still standing (on `sha` when given); null when unreadable. */
  approvedReview(number: number, sha?: string): Promise<boolean | null>;
  /** Every check run and commit status on `sha` passed (ignoring the names given); null when unreadable. */
  checksGreen(sha: string, ignore: readonly string[]): Promise<boolean | null>;
  dispatchWorkflow(workflow: string, ref: string, inputs: Record<string, string>): Promise<void>;
  /** Whether an online self-hosted runner carries every label; `unknown` when runners cannot be read. */
  runnerLabels(labels: readonly string[]): Promise<RunnerLabelsResult>;
  createCheckRun(
    input: { name: string; headSha: string; externalId: string } & CheckRunUpdate,
  ): Promise<number>;
  updateCheckRun(id: number, update: CheckRunUpdate): Promise<void>;
  listCheckRuns(headSha: string, name: string): Promise<CheckRunInfo[]>;
  /** The newest dispatched run of `workflow` on `headSha` whose title carries the correlation id. */
  findTrainingRun(
    workflow: string,
    correlationId: string,
    headSha: string,
  ): Promise<WorkflowRunInfo | undefined>;
  /** One workflow run by id (the run a candidate record pins); undefined when gone. */
  getWorkflowRun(
    runId: number,
  ): Promise<(WorkflowRunInfo & { event: string; path: string | null }) | undefined>;
  /** Downloads the named artifact of a run into `destDir`, verified (exactly `pin` when given). */
  downloadRunArtifact(
    runId: number,
    name: string,
    destDir: string,
    pin?: { artifactId: number; digest: string | null },
  ): Promise<ArtifactDownload>;
  /**
   * Downloads any named artifact of a run into `destDir`, verified like a run's; `check` says why
   * the extracted folder is not what was expected (failing as `run-dir-invalid`), or undefined.
   */
  downloadArtifactFiles(
    runId: number,
    name: string,
    destDir: string,
    check: (dir: string) => Promise<string | undefined>,
  ): Promise<{ ok: true; dir: string } | Extract<ArtifactDownload, { ok: false }>>;
  /** The open issue this App wrote whose body carries `marker` (a prefix of one works); null when none. */
  findIssue(marker: string): Promise<{ number: number; body: string } | null>;
  /** A file's text at `ref` (a branch or commit); null when absent. */
  readFileAt(path: string, ref: string): Promise<string | null>;
  /** The GitHub Releases backend of the registry for this repository. */
  registry(opts: RegistryOptions): Promise<Registry>;
  listDeployments(environment: string): Promise<DeploymentInfo[]>;
  /** Who created a version's release and the commit its tag points at, from GitHub's records. */
  releaseProvenance(tag: string): Promise<ReleaseProvenance>;
  /** The attestation bundles GitHub stores for a sha256 digest in this repository. */
  attestations(sha256: string): Promise<AttestationBundle[]>;
  createDeployment(input: {
    ref: string;
    environment: string;
    payload: DeploymentPayload;
    description: string;
  }): Promise<{ id: number }>;
  getLock(environment: string): Promise<LockState>;
  /** Creates the lock ref atomically; when it exists already, reports who holds it. */
  acquireLock(
    environment: string,
    owner: string,
    reason: string,
  ): Promise<{ ok: true } | { ok: false; owner: string | null }>;
  /** Opens a PR adding `files` on a new branch (created atomically; an existing branch opens nothing). */
  openFilesPull(input: {
    branch: string;
    files: ReadonlyArray<{ path: string; content: string }>;
    message: string;
    title: string;
    body: string;
  }): Promise<{ outcome: "opened"; number: number } | { outcome: "skipped"; reason: "branch-exists" }>;
  /** Keeps one open pull request on `branch` with `files` on the default branch's head (see open-candidate-pull). */
  upsertCandidatePull(input: {
    branch: string;
    files: ReadonlyArray<{ path: string; content: string }>;
    message: string;
    title: string;
    body: string;
  }): Promise<{ outcome: "opened" | "updated" | "unchanged"; number: number }>;
  /** Opens the one open issue carrying `marker`, or updates it. */
  upsertIssue(input: {
    marker: string;
    title: string;
    body: string;
  }): Promise<{ outcome: "opened" | "updated" | "unchanged"; number: number }>;
  /** Closes the open issue carrying `marker` with a comment; null when none is open. */
  closeIssue(marker: string, comment: string): Promise<number | null>;
  /** Deletes the lock ref; false when there was none. */
  releaseLock(environment: string): Promise<boolean>;
  /**
   * Commits a report's plots (PNG and SVG paths relative to `dir`) to the `modelship-assets` branch
   * under `folder/` and links them from the repository; reports failure instead of throwing.
   */
  publishPlotAssets(input: {
    folder: string;
    dir: string;
    plots: ReadonlyArray<{ title: string; png: string; svg?: string }>;
    message: string;
  }): Promise<PublishedPlots>;
};
