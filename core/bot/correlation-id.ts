/** What started a training run; carried to the workflow as the `trigger` input. */
export type TrainTrigger = "comment" | "push" | "schedule" | "rerequest" | "drift";

/**
 * Runs on the default branch that nobody dispatched for a PR: the workflow's cron (`sched`), a
 * drift job's dispatch (`drift`), or someone pressing "Run workflow" (`manual`).
 */
export type RetrainKind = "sched" | "drift" | "manual";

export const RETRAIN_KINDS: readonly RetrainKind[] = ["sched", "drift", "manual"];

const ID_RE = /^(?:pr(\d{1,9})|(sched|drift|manual))-([0-9a-f]{7,40})-([a-z0-9]{4,32})$/;
const TITLE_RE = /^modelship train ([A-Za-z0-9-]{1,100})$/;

export type Correlation = {
  id: string;
  pr: number | null;
  /** `pr` for a pull request's run, else the retraining kind. */
  kind: "pr" | RetrainKind;
  headSha: string;
};

/**
 * An opaque id for one dispatch that also names the PR and the commit, so a `workflow_run` event
 * leads back to its PR without any state in the App: `pr42-<sha>-<nonce>` or `sched-<sha>-<nonce>`.
 */
export function createCorrelationId(input: {
  pr: number | null;
  headSha: string;
  nonce: string;
  /** For a run without a pull request: what started it (default `sched`). */
  kind?: RetrainKind;
}): string {
  const nonce = input.nonce
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 32)
    .padEnd(4, "0");
  const sha = input.headSha.toLowerCase().slice(0, 40);
  return `${input.pr === null ? (input.kind ?? "sched") : `pr${input.pr}`}-${sha}-${nonce}`;
}

/** Reads a correlation id; undefined when it is not one the App made or the workflow derived. */
export function parseCorrelationId(id: string): Correlation | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  const pr = m[1] === undefined ? null : Number(m[1]);
  const kind = pr === null ? (m[2] as RetrainKind) : "pr";
  return { id, pr, kind, headSha: m[3]! };
}

/** The training workflow's `run-name` for a correlation id (the contract with the workflow template). */
export function trainRunName(correlationId: string): string {
  return `modelship train ${correlationId}`;
}

/** Finds the correlation in a `workflow_run.display_title`; undefined for other runs. */
export function correlationFromRunName(displayTitle: string): Correlation | undefined {
  const m = TITLE_RE.exec(displayTitle);
  return m ? parseCorrelationId(m[1]!) : undefined;
}

/**
 * The id the workflow template derives when nobody passed one: `<kind>-<commit>-<run id>`, the
 * same in its `run-name` and in its input check step.
 */
export function derivedCorrelationId(input: { kind: RetrainKind; headSha: string; runId: number }): string {
  return `${input.kind}-${input.headSha.toLowerCase()}-${input.runId}`;
}

/**
 * The correlation of a training workflow run: from its title, else (a cron run whose title an
 * older template left empty) derived from the run itself like the template's step derives it.
 */
export function correlationFromRun(run: {
  displayTitle: string;
  event: string | undefined;
  headSha: string;
  runId: number;
}): Correlation | undefined {
  const titled = correlationFromRunName(run.displayTitle);
  if (titled || run.event !== "schedule") return titled;
  return parseCorrelationId(derivedCorrelationId({ kind: "sched", headSha: run.headSha, runId: run.runId }));
}

/** The artifact the training workflow uploads for a correlation id. */
export function trainArtifactName(prefix: string, correlationId: string): string {
  return `${prefix}-${correlationId}`;
}

/** `workflow_dispatch` inputs for the training workflow (every value a string, at most 10 inputs). */
export function trainDispatchInputs(input: {
  pr: number | null;
  headSha: string;
  params: Record<string, number | string | boolean>;
  correlationId: string;
  trigger: TrainTrigger;
}): Record<string, string> {
  return {
    pr_number: input.pr === null ? "" : String(input.pr),
    head_sha: input.headSha,
    params: JSON.stringify(input.params),
    correlation_id: input.correlationId,
    trigger: input.trigger,
  };
}
