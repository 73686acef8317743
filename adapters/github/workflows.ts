import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, rmdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { readRunDir, type RunDir } from "../run-dir/read-run-dir.ts";
import { extractZip } from "./extract-zip.ts";
import { githubMessage, httpStatus } from "./http-status.ts";
import { dirState } from "../registry-common/write-verified-dir.ts";

type WorkflowRunData = {
  id: number;
  name?: string | null;
  display_title: string;
  status: string | null;
  conclusion: string | null;
  head_sha: string;
  head_branch: string | null;
  html_url: string;
  event: string;
  created_at: string;
  run_attempt?: number;
  path?: string;
};

type ArtifactData = {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
  /** `sha256:<hex>` of the zip, for artifacts uploaded with upload-artifact v4 or newer. */
  digest?: string | null;
};

/** What the workflow functions need of an Octokit client. */
export type WorkflowsPort = {
  rest: {
    actions: {
      createWorkflowDispatch(params: {
        owner: string;
        repo: string;
        workflow_id: string | number;
        ref: string;
        inputs?: Record<string, string>;
      }): Promise<unknown>;
      listWorkflowRuns(params: {
        owner: string;
        repo: string;
        workflow_id: string | number;
        event?: string;
        head_sha?: string;
        per_page?: number;
        page?: number;
      }): Promise<{ data: { total_count: number; workflow_runs: WorkflowRunData[] } }>;
      getWorkflowRun(params: {
        owner: string;
        repo: string;
        run_id: number;
      }): Promise<{ data: WorkflowRunData }>;
      listWorkflowRunArtifacts(params: {
        owner: string;
        repo: string;
        run_id: number;
        name?: string;
        per_page?: number;
        page?: number;
      }): Promise<{
        data: { total_count: number; artifacts: ArtifactData[] };
      }>;
      downloadArtifact(params: {
        owner: string;
        repo: string;
        artifact_id: number;
        archive_format: string;
      }): Promise<{ data: unknown }>;
    };
  };
};

export type WorkflowRunRef = {
  id: number;
  displayTitle: string;
  status: string | null;
  conclusion: string | null;
  headSha: string;
  headBranch: string | null;
  htmlUrl: string;
  event: string;
  createdAt: string;
  /** The workflow file, e.g. `.github/workflows/modelship-train.yml`; null when GitHub omits it. */
  path: string | null;
};

type Repo = { owner: string; repo: string };

/** GitHub's limit on `workflow_dispatch` inputs that Modelship relies on. */
export const MAX_DISPATCH_INPUTS = 10;
const INPUT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;

/**
 * Starts a workflow with `workflow_dispatch` on `ref` (a branch or tag; GitHub does not accept a
 * bare SHA). Inputs are strings, at most 10, with workflow-input names; anything else throws
 * `workflow-inputs-invalid` before any request.
 */
export async function dispatchWorkflow(
  octokit: WorkflowsPort,
  opts: Repo & { workflow: string | number; ref: string; inputs: Record<string, string> },
): Promise<void> {
  const names = Object.keys(opts.inputs);
  const bad = names.filter((n) => !INPUT_NAME_RE.test(n) || typeof opts.inputs[n] !== "string");
  if (names.length > MAX_DISPATCH_INPUTS || bad.length > 0) {
    throw new ModelshipError({
      code: "workflow-inputs-invalid",
      message:
        names.length > MAX_DISPATCH_INPUTS
          ? `workflow_dispatch takes at most ${MAX_DISPATCH_INPUTS} inputs, got ${names.length}`
          : `invalid workflow_dispatch inputs: ${bad.join(", ")}`,
      hint: "Pass string inputs named like workflow inputs; put structured values in one JSON string input.",
    });
  }
  await octokit.rest.actions.createWorkflowDispatch({
    owner: opts.owner,
    repo: opts.repo,
    workflow_id: opts.workflow,
    ref: opts.ref,
    inputs: opts.inputs,
  });
}

/** The run title the training workflow sets (`run-name`), by which a dispatch is found again. */
export function trainRunTitle(correlationId: string): string {
  return `modelship train ${correlationId}`;
}

/**
 * The newest dispatched run of `workflow` whose title carries `correlationId` as a whole word
 * (the training workflow's `run-name` is `modelship train <id>`); undefined when none yet.
 * Reads at most `maxPages` pages of 100 runs, newest first.
 */
export async function findRunByCorrelationId(
  octokit: WorkflowsPort,
  opts: Repo & { workflow: string | number; correlationId: string; headSha?: string; maxPages?: number },
): Promise<WorkflowRunRef | undefined> {
  const maxPages = opts.maxPages ?? 3;
  for (let page = 1; page <= maxPages; page++) {
    const { data } = await octokit.rest.actions.listWorkflowRuns({
      owner: opts.owner,
      repo: opts.repo,
      workflow_id: opts.workflow,
      event: "workflow_dispatch",
      ...(opts.headSha !== undefined ? { head_sha: opts.headSha } : {}),
      per_page: 100,
      page,
    });
    const match = data.workflow_runs.find((r) => r.display_title.split(/\s+/).includes(opts.correlationId));
    if (match !== undefined) return toRunRef(match);
    if (data.workflow_runs.length < 100) return undefined;
  }
  return undefined;
}

/** One workflow run by id. */
export async function getWorkflowRun(
  octokit: WorkflowsPort,
  opts: Repo & { runId: number },
): Promise<WorkflowRunRef> {
  const { data } = await octokit.rest.actions.getWorkflowRun({
    owner: opts.owner,
    repo: opts.repo,
    run_id: opts.runId,
  });
  return toRunRef(data);
}

export type ArtifactFailureReason =
  | "artifact-missing"
  | "artifact-expired"
  | "artifact-too-large"
  | "artifact-invalid"
  | "artifact-unsafe"
  | "run-dir-invalid";

export type RunArtifactResult =
  | { ok: true; dir: string; run: RunDir; artifactId: number; digest: string }
  | { ok: false; reason: ArtifactFailureReason; message: string };

/** Defaults: 2 GiB expanded, 10,000 files. */
export const DEFAULT_ARTIFACT_LIMITS = { maxBytes: 2 * 1024 ** 3, maxEntries: 10_000 };

type ArtifactOptions = Repo & {
  runId: number;
  name: string;
  destDir: string;
  maxBytes?: number;
  maxEntries?: number;
  /** Exactly this artifact (by id, and by digest when given), not the newest of that name. */
  pin?: { artifactId: number; digest: string | null };
};

/**
 * Downloads a run's artifact (a zip), extracts it safely (no `..`, absolute paths, links or
 * special files; size and file-count caps; CRC checked) into `destDir` (absent or empty), and
 * checks it is a valid run directory with `readRunDir`. On any failure nothing is left in `destDir`.
 */
export async function downloadRunArtifact(
  octokit: WorkflowsPort,
  opts: ArtifactOptions,
): Promise<RunArtifactResult> {
  const result = await downloadArtifactDir(octokit, opts, async (dir) => {
    try {
      await readRunDir(dir);
      return undefined;
    } catch (err) {
      return `artifact ${opts.name} is not a valid run directory: ${githubMessage(err)}`;
    }
  });
  return result.ok ? { ...result, run: await readRunDir(result.dir) } : result;
}

/**
 * The same safe download and extraction for any artifact; `check` reads the extracted folder and
 * returns why it is not what was expected (reported as `run-dir-invalid`), or undefined.
 */
export async function downloadArtifactDir(
  octokit: WorkflowsPort,
  opts: ArtifactOptions,
  check: (dir: string) => Promise<string | undefined>,
): Promise<
  | { ok: true; dir: string; artifactId: number; digest: string }
  | { ok: false; reason: ArtifactFailureReason; message: string }
> {
  const limits = {
    maxBytes: opts.maxBytes ?? DEFAULT_ARTIFACT_LIMITS.maxBytes,
    maxEntries: opts.maxEntries ?? DEFAULT_ARTIFACT_LIMITS.maxEntries,
  };
  const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({
    owner: opts.owner,
    repo: opts.repo,
    run_id: opts.runId,
    name: opts.name,
    per_page: 100,
  });
  // A re-run attempt uploads again under the same name: the newest wins unless one is pinned.
  const named = data.artifacts.filter((a) => a.name === opts.name).sort((a, b) => b.id - a.id);
  const artifact = opts.pin ? named.find((a) => a.id === opts.pin?.artifactId) : named[0];
  if (artifact === undefined)
    return {
      ok: false,
      reason: "artifact-missing",
      message: opts.pin
        ? `run ${opts.runId} has no artifact ${opts.pin.artifactId} named ${opts.name}`
        : `run ${opts.runId} has no artifact named ${opts.name}`,
    };
  if (artifact.expired)
    return {
      ok: false,
      reason: "artifact-expired",
      message: `artifact ${opts.name} of run ${opts.runId} has expired`,
    };
  if (artifact.size_in_bytes > limits.maxBytes) {
    return {
      ok: false,
      reason: "artifact-too-large",
      message: `artifact ${opts.name} is ${artifact.size_in_bytes} bytes, more than ${limits.maxBytes}`,
    };
  }
  let zip: Buffer;
  try {
    const res = await octokit.rest.actions.downloadArtifact({
      owner: opts.owner,
      repo: opts.repo,
      artifact_id: artifact.id,
      archive_format: "zip",
    });
    zip = toBuffer(res.data);
  } catch (err) {
    if (httpStatus(err) === 410)
      return { ok: false, reason: "artifact-expired", message: `artifact ${opts.name} has expired` };
    throw err;
  }
  const digest = `sha256:${createHash("sha256").update(zip).digest("hex")}`;
  const expected = [artifact.digest ?? null, opts.pin?.digest ?? null].filter((d) => d !== null);
  const wrong = expected.find((d) => d !== digest);
  if (wrong !== undefined)
    return {
      ok: false,
      reason: "artifact-invalid",
      message: `artifact ${opts.name} (id ${artifact.id}) has digest ${digest}, expected ${wrong}`,
    };

  const dest = resolve(opts.destDir);
  const state = await dirState(dest);
  if (state === "non-empty")
    throw new ModelshipError({
      code: "destination-not-empty",
      message: `${dest} already exists and is not empty`,
    });
  await mkdir(dirname(dest), { recursive: true });
  const staging = await mkdtemp(join(dirname(dest), `.${basename(dest)}.artifact-`));
  try {
    const extracted = await extractZip(zip, join(staging, "run"), limits);
    if (!extracted.ok) {
      const reason =
        extracted.problem.reason === "zip-too-large"
          ? "artifact-too-large"
          : extracted.problem.reason === "zip-unsafe-entry"
            ? "artifact-unsafe"
            : "artifact-invalid";
      return { ok: false, reason, message: `artifact ${opts.name}: ${extracted.problem.message}` };
    }
    const wrongContent = await check(join(staging, "run"));
    if (wrongContent !== undefined) return { ok: false, reason: "run-dir-invalid", message: wrongContent };
    if (state === "empty") await rmdir(dest);
    await rename(join(staging, "run"), dest);
    return { ok: true, dir: dest, artifactId: artifact.id, digest };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function toBuffer(data: unknown): Buffer {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === "string") return Buffer.from(data, "binary");
  throw new Error("unexpected artifact download body");
}

function toRunRef(r: WorkflowRunData): WorkflowRunRef {
  return {
    id: r.id,
    displayTitle: r.display_title,
    status: r.status,
    conclusion: r.conclusion,
    headSha: r.head_sha,
    headBranch: r.head_branch,
    htmlUrl: r.html_url,
    event: r.event,
    createdAt: r.created_at,
    path: r.path ?? null,
  };
}
