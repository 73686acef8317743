import { z } from "zod";
import type { Comparison } from "../compare/compare-runs.ts";
import { escapeMarkdown, safeUrl } from "../report/escape-markdown.ts";
import { parseCorrelationId, RETRAIN_KINDS, type Correlation, type RetrainKind } from "./correlation-id.ts";

/** Branches of the pull requests that carry a retrained candidate, one per model and retraining kind. */
export const RETRAIN_BRANCH_PREFIX = "modelship/retrain/";

const KIND_TEXT: Record<RetrainKind, string> = {
  sched: "scheduled training",
  drift: "retraining after drift",
  manual: "a manually started training run",
};

/** What the retraining kinds are called in titles and messages. */
export function describeRetrainKind(kind: RetrainKind): string {
  return KIND_TEXT[kind];
}

/** The one branch for a model's candidates of one retraining kind (git refs may not hold `..`). */
export function retrainBranch(modelName: string, kind: RetrainKind): string {
  return `${RETRAIN_BRANCH_PREFIX}${modelName.replace(/\.+/g, "-")}/${kind}`;
}

/** Whether a branch is one of the App's retraining branches. */
export function isRetrainBranch(ref: string): boolean {
  const rest = ref.startsWith(RETRAIN_BRANCH_PREFIX)
    ? ref.slice(RETRAIN_BRANCH_PREFIX.length).split("/")
    : [];
  return rest.length === 2 && rest[0] !== "" && (RETRAIN_KINDS as readonly string[]).includes(rest[1]!);
}

/** The file a candidate pull request writes: which run and which exact artifact it releases. */
export function candidateRecordPath(modelName: string, kind: RetrainKind): string {
  return `.modelship/candidates/${modelName}-${kind}.json`;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export const CandidateRecordSchema = z
  .object({
    format: z.literal("modelship.candidate/2"),
    model: z.string().min(1),
    correlationId: z
      .string()
      .refine((id) => parseCorrelationId(id)?.pr === null, "a retraining correlation id"),
    workflowRunId: z.number().int().positive(),
    workflowRunUrl: z.string(),
    artifact: z.object({
      id: z.number().int().positive(),
      name: z.string().min(1),
      digest: z.string().regex(DIGEST).nullable(),
    }),
    runId: z.string(),
    headSha: z.string().regex(/^[0-9a-f]{40}$/),
    dataFingerprint: z.string(),
    baseline: z.string().nullable(),
    metrics: z.record(z.string(), z.number()),
  })
  .strict();

export type CandidateRecord = z.infer<typeof CandidateRecordSchema>;

/** The record as the file on the candidate branch holds it. */
export function renderCandidateRecord(record: Omit<CandidateRecord, "format">): string {
  return `${JSON.stringify({ format: "modelship.candidate/2", ...record }, null, 2)}\n`;
}

/** Reads a candidate record file; undefined when it is not one (never trusted beyond its shape). */
export function parseCandidateRecord(
  text: string,
): (CandidateRecord & { correlation: Correlation }) | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = CandidateRecordSchema.safeParse(json);
  if (!parsed.success) return undefined;
  return { ...parsed.data, correlation: parseCorrelationId(parsed.data.correlationId)! };
}

/** A retrained run beats production when every gate holds against a baseline and the primary metric improved. */
export function beatsBaseline(c: Comparison): boolean {
  return c.passed && c.baseline !== null && c.primary?.improved === true;
}

/** The candidate pull request's title and body: what it releases, pinned to one artifact. */
export function renderCandidatePull(input: {
  record: Omit<CandidateRecord, "format">;
  kind: RetrainKind;
  environment: string;
  /** The drift issue that made the App retrain, linked from the pull request. */
  driftIssue?: number;
}): { title: string; body: string } {
  const r = input.record;
  const url = safeUrl(r.workflowRunUrl);
  const run = url ? `[run ${r.workflowRunId}](${url})` : `run ${r.workflowRunId}`;
  const model = escapeMarkdown(r.model, { maxLength: 100 });
  return {
    title: `Release ${r.model}: ${describeRetrainKind(input.kind)} beats ${r.baseline ? `v${r.baseline}` : "production"}`,
    body: [
      `<!-- modelship:candidate model=${r.model.replace(/-->/g, "")} kind=${input.kind} -->`,
      `The ${describeRetrainKind(input.kind)} of **${model}** on ${r.headSha.slice(0, 7)} beats the version in \`${escapeMarkdown(input.environment, { maxLength: 100 })}\`${r.baseline ? ` (v${escapeMarkdown(r.baseline, { maxLength: 50 })})` : ""}.`,
      ...(input.driftIssue !== undefined
        ? [`Retrained after the data drift reported in #${input.driftIssue}.`]
        : []),
      "Merging this pull request releases and deploys exactly this artifact:",
      "",
      "| Workflow run | Artifact | Digest |",
      "| --- | --- | --- |",
      `| ${run} | \`${escapeMarkdown(r.artifact.name, { maxLength: 200 })}\` (id ${r.artifact.id}) | \`${r.artifact.digest ?? "none"}\` |`,
      "",
      `Correlation id \`${r.correlationId}\`. A later run that beats production replaces this candidate on the same branch; the comparison report is in the comment below.`,
    ].join("\n"),
  };
}

/** The hidden marker of the one issue that tracks a model's failing retraining of one kind. */
export function retrainIssueMarker(modelName: string, kind: RetrainKind): string {
  return `<!-- modelship:retrain-failure model=${modelName.replace(/-->/g, "")} kind=${kind} -->`;
}

/** The failure issue: which run failed, why, and where its logs are. */
export function renderRetrainFailureIssue(input: {
  modelName: string;
  kind: RetrainKind;
  reason: string;
  reasonText: string;
  message: string;
  runId: number;
  runUrl: string;
  headSha: string;
}): { title: string; body: string } {
  const url = safeUrl(input.runUrl);
  return {
    title: `Modelship: ${describeRetrainKind(input.kind)} of ${input.modelName} failed`,
    body: [
      retrainIssueMarker(input.modelName, input.kind),
      `<!-- modelship:retrain-run id=${input.runId} -->`,
      `❌ The ${describeRetrainKind(input.kind)} of **${escapeMarkdown(input.modelName, { maxLength: 100 })}** on ${input.headSha.slice(0, 7)} failed: ${input.reasonText} (\`${input.reason}\`).`,
      ...(input.message ? ["", escapeMarkdown(input.message, { maxLength: 2000 })] : []),
      "",
      url
        ? `Logs: [workflow run ${input.runId}](${url})`
        : `Logs: workflow run ${input.runId} in the Actions tab.`,
      "",
      "No candidate pull request was opened. This issue is updated by the next failing run and closed by the next one that trains.",
    ].join("\n"),
  };
}
