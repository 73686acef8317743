import { escapeMarkdown, safeUrl, truncateText } from "../report/escape-markdown.ts";
import type { DriftJson } from "../report/render-drift-json.ts";
import { driftIssueMarker } from "../report/render-drift-markdown.ts";

const TITLE_RE = /^modelship drift ([a-z0-9][a-z0-9._-]{0,62}) ([A-Za-z0-9][A-Za-z0-9._-]{0,62})$/;

/** The drift workflow's `run-name` (the contract with the template): model and environment. */
export function driftRunName(model: string, environment: string): string {
  return `modelship drift ${model} ${environment}`;
}

/** Model and environment of a drift workflow run, from its title; undefined for other runs. */
export function parseDriftRunName(title: string): { model: string; environment: string } | undefined {
  const m = TITLE_RE.exec(title);
  return m ? { model: m[1]!, environment: m[2]! } : undefined;
}

/** The artifact a drift run uploads: `drift.json` (the `--json` document) and `drift.md` (the report). */
export function driftArtifactName(environment: string): string {
  return `modelship-drift-${environment}`;
}

export const DRIFT_FILES = { json: "drift.json", markdown: "drift.md" } as const;

/** The start of every drift issue marker of a model, whatever the environment. */
export function driftIssueMarkerPrefix(model: string): string {
  return driftIssueMarker(model, "").replace(/ -->$/, "");
}

/** Written into the issue so a redelivered or re-read run is recognised as reported. */
export function driftRunMarker(runId: number): string {
  return `<!-- modelship:drift-run id=${runId} -->`;
}

// GitHub refuses issue bodies over 65,536 characters; the report is cut well before that.
const MAX_REPORT = 60_000;

/** The drift issue: the latest report, where it came from and what happens next. */
export function renderDriftIssue(input: {
  model: string;
  environment: string;
  report: DriftJson;
  markdown: string;
  runId: number;
  runUrl: string;
  retraining: "dispatched" | "off" | "failed";
}): { title: string; body: string } {
  const url = safeUrl(input.runUrl);
  const run = url ? `[drift run ${input.runId}](${url})` : `drift run ${input.runId}`;
  const next = {
    dispatched:
      "Retraining was dispatched (`monitoring.retrainOnDrift`); a candidate that beats production opens a pull request that links this issue.",
    off: "Retraining on drift is off; set `monitoring.retrainOnDrift: true` to dispatch training when this happens.",
    failed:
      "Retraining on drift is on, but the training workflow could not be dispatched; see the App's log.",
  }[input.retraining];
  const drifted = input.report.features
    .filter((f) => f.drifted)
    .map((f) => `\`${escapeMarkdown(f.name, { maxLength: 100 })}\``);
  return {
    title: `Modelship: data drift in ${input.model} (${input.environment})`,
    body: [
      driftIssueMarker(input.model, input.environment),
      driftRunMarker(input.runId),
      `The latest ${run} found dataset drift in \`${escapeMarkdown(input.environment, { maxLength: 100 })}\`: ${drifted.join(", ")}.`,
      "",
      next,
      "",
      truncateText(input.markdown, MAX_REPORT),
      "",
      "This issue is updated by every drift run that finds drift and closed by the first one that finds none.",
    ].join("\n"),
  };
}
