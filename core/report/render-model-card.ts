import { describeSource } from "../data/data-snapshot.ts";
import { flattenParams, formatParamValue } from "../compare/flatten-params.ts";
import type { Explanation } from "../explain/permutation-importance.ts";
import { renderExplanationMarkdown } from "../explain/render-explanation.ts";
import type { RunRecord } from "../run/run-record.ts";
import { escapeCode, escapeMarkdown, safeUrl } from "./escape-markdown.ts";
import { formatDuration, formatNumber } from "./format-number.ts";
import { metricDisplayName } from "./metric-names.ts";

export type ModelCardExtras = {
  version?: string;
  parentVersion?: string;
  /** Extra lineage rows, e.g. `{ "Pull request": "#12", "Workflow run": "https://…" }`. */
  lineage?: Record<string, string>;
  /** Permutation importance on the validation split. */
  explanation?: Explanation;
  /** Images beside the card (paths relative to it), e.g. `plots/learning-curves.png`. */
  plots?: Array<{ title: string; path: string }>;
};

const MAX_TABLE_ROWS = 300;
/** GitHub rejects release bodies longer than 125,000 characters; the card is a release body. */
export const MODEL_CARD_LIMIT = 125_000;

/** Renders a run's Markdown model card (the release body); every string from the run is escaped. */
export function renderModelCard(record: RunRecord, extras?: ModelCardExtras): string {
  const name = escapeMarkdown(record.model.name);
  const version = extras?.version ? ` ${escapeMarkdown(extras.version)}` : "";
  const lines: string[] = [`# Model card: ${name}${version}`, ""];

  lines.push(
    table(
      ["", ""],
      [
        ["Model", name],
        ...(extras?.version ? [["Version", escapeMarkdown(extras.version)]] : []),
        ["Task", record.model.task],
        ["Run", escapeCode(record.runId)],
        ["Trained", `${escapeMarkdown(record.startedAt)} → ${escapeMarkdown(record.finishedAt)}`],
      ],
    ),
    "",
  );

  if (record.status === "failed") {
    const why = record.failure
      ? `: ${escapeMarkdown(record.failure.message)} (${escapeCode(record.failure.code, { maxLength: 60 })})`
      : "";
    lines.push(
      `> [!WARNING]\n> This run failed${why}. It is kept for inspection and must not be released.`,
      "",
    );
  }

  lines.push("## Intended use", "", intendedUse(record), "");

  lines.push("## Metrics", "");
  const metrics = Object.entries(record.metrics).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  lines.push(
    metrics.length === 0
      ? "_The run reported no metrics._"
      : table(
          ["Metric", "Value"],
          metrics.map(([k, v]) => [escapeMarkdown(metricDisplayName(k)), formatNumber(v)]),
          ["left", "right"],
        ),
    "",
  );
  if (record.data.validationRows !== undefined) {
    lines.push(
      `Computed on the ${record.data.validationRows} validation rows, which training did not fit on.`,
      "",
    );
  }
  if (record.targetTransform) {
    lines.push(
      "Errors (MSE, RMSE, MAE) and predictions are in the target's own units; the losses are on the scale the model trained on.",
      "",
    );
  }

  if (extras?.plots?.length) {
    lines.push("## Plots", "");
    for (const p of extras.plots) lines.push(`![${escapeMarkdown(p.title)}](${encodeURI(p.path)})`, "");
  }
  if (extras?.explanation)
    lines.push("## What drives the model", "", renderExplanationMarkdown(extras.explanation));

  lines.push("## Parameters", "");
  const params = Object.entries(flattenParams(record.params));
  lines.push(
    params.length === 0
      ? "_No parameters recorded._"
      : table(
          ["Parameter", "Value"],
          params.map(([k, v]) => [escapeMarkdown(k), escapeMarkdown(formatParamValue(v))]),
        ),
    "",
  );

  lines.push("## Data", "");
  if (record.data.version !== record.data.fingerprint) {
    lines.push(`- Fingerprint: ${escapeCode(record.data.fingerprint, { maxLength: 80 })}`);
  }
  if (record.data.version) {
    lines.push(
      `- Data version (sha256 of the snapshot's rows): ${escapeCode(record.data.version, { maxLength: 80 })}`,
    );
  }
  for (const s of record.data.sources?.filter((x) => x.kind !== "file") ?? []) {
    lines.push(`- Source: ${s.kind} ${escapeCode(describeSource(s), { maxLength: 200 })}`);
  }
  if (record.data.rows !== undefined) lines.push(`- Rows: ${record.data.rows}`);
  if (record.data.trainRows !== undefined) lines.push(`- Training rows: ${record.data.trainRows}`);
  if (record.data.validationRows !== undefined)
    lines.push(`- Validation rows: ${record.data.validationRows}`);
  if (record.targetTransform) lines.push(`- Target: ${describeTargetTransform(record.targetTransform)}`);
  if (record.preprocessHash !== undefined) {
    lines.push(
      `- Preprocessing (sha256 of model/preprocess.json): ${escapeCode(record.preprocessHash, { maxLength: 80 })}`,
    );
  }
  lines.push("");
  if (record.data.files.length > 0) {
    lines.push(
      table(
        ["File", "Rows", "Bytes", "SHA-256"],
        record.data.files.map((f) => [
          escapeCode(f.path),
          f.rows === undefined ? "—" : String(f.rows),
          String(f.bytes),
          `\`${f.sha256}\``,
        ]),
        ["left", "right", "right", "left"],
      ),
      "",
    );
  }

  lines.push("## Training", "");
  const training: string[][] = [
    ["Trainer", record.trainer === "builtin" ? "built-in (TensorFlow.js)" : "command"],
  ];
  if (record.command !== undefined) training.push(["Command", escapeMarkdown(record.command)]);
  training.push(["Backend", escapeMarkdown(record.backend)]);
  if (record.device !== undefined) training.push(["Device", escapeMarkdown(record.device)]);
  for (const s of record.skippedBackends ?? []) {
    training.push([`Skipped ${escapeMarkdown(s.backend)}`, escapeMarkdown(s.reason, { maxLength: 200 })]);
  }
  training.push(["Duration", formatDuration(record.durationMs)]);
  if (record.samplesPerSecond !== undefined) {
    training.push(["Throughput", `${formatNumber(Math.round(record.samplesPerSecond))} samples/s`]);
  }
  for (const [phase, ms] of Object.entries(record.timings)) {
    training.push([`Time in ${escapeMarkdown(phase)}`, formatDuration(ms)]);
  }
  lines.push(table(["", ""], training), "");

  if (record.signature) {
    lines.push("## Signature", "");
    lines.push(
      table(
        ["", "Name", "Datatype", "Shape"],
        [
          ...record.signature.inputs.map((t) => [
            "input",
            escapeMarkdown(t.name),
            escapeMarkdown(t.datatype),
            shape(t.shape),
          ]),
          ...record.signature.outputs.map((t) => [
            "output",
            escapeMarkdown(t.name),
            escapeMarkdown(t.datatype),
            shape(t.shape),
          ]),
        ],
      ),
      "",
    );
    if (record.signature.labels && record.signature.labels.length > 0) {
      lines.push(
        `Labels: ${record.signature.labels.map((l) => escapeMarkdown(l, { maxLength: 60 })).join(", ")}`,
        "",
      );
    }
    lines.push("A shape of `-1` is a variable dimension (the batch size).", "");
  }

  if (record.parity) {
    const p = record.parity;
    lines.push("## Parity check", "");
    const bound =
      p.rtol !== undefined && p.atol !== undefined
        ? `|ONNX − TensorFlow.js| ≤ ${formatNumber(p.atol)} + ${formatNumber(p.rtol)} · |TensorFlow.js| for every output`
        : `within ${formatNumber(p.tolerance)}`;
    lines.push(
      `${p.ok ? "✅ Passed" : "❌ Failed"}: the exported model and the trained model agree on ${p.rows} validation rows, ` +
        `${bound} (largest absolute difference ${formatNumber(p.maxAbsDiff)}).`,
      "",
    );
  }

  lines.push("## Lineage", "");
  const lineage: string[][] = [
    ["Commit", record.code.commit ? escapeCode(record.code.commit) : "unknown"],
    ["Uncommitted changes", record.code.dirty ? "yes" : "no"],
    ["Branch", record.code.branch ? escapeCode(record.code.branch) : "unknown"],
    ["Run", escapeCode(record.runId)],
  ];
  if (extras?.parentVersion) lineage.push(["Parent version", escapeMarkdown(extras.parentVersion)]);
  for (const [k, v] of Object.entries(extras?.lineage ?? {})) {
    const url = safeUrl(v);
    lineage.push([
      escapeMarkdown(k),
      url ? `[${escapeMarkdown(v, { maxLength: 120 })}](${url})` : escapeMarkdown(v),
    ]);
  }
  lines.push(table(["", ""], lineage), "");

  const card = `${lines.join("\n").trimEnd()}\n`;
  if (card.length <= MODEL_CARD_LIMIT) return card;
  const note =
    "\n\n_The model card was cut at GitHub's release size limit; run.json in the release assets has everything._\n";
  const cut = card.slice(0, MODEL_CARD_LIMIT - note.length);
  return cut.slice(0, cut.lastIndexOf("\n")) + note;
}

function intendedUse(record: RunRecord): string {
  const files = record.data.files.map((f) => escapeCode(f.path, { maxLength: 80 }));
  const source =
    files.length === 0
      ? ""
      : ` from ${files.slice(0, 5).join(", ")}${files.length > 5 ? ` and ${files.length - 5} more files` : ""}`;
  const rows = record.data.rows !== undefined ? ` on ${record.data.rows} rows` : "";
  const labels = record.signature?.labels;
  const what =
    record.model.task === "classification"
      ? `assigns each input to one of ${labels && labels.length > 0 ? `${labels.length} classes` : "a fixed set of classes"}`
      : "predicts a numeric value for each input";
  return [
    `This ${record.model.task} model ${what}. It was trained${rows}${source}.`,
    "",
    "> Describe here who should use this model, for which decisions, on what kind of data, and where it " +
      "must not be used. Inputs outside the range of the training data may give unreliable predictions.",
  ].join("\n");
}

function describeTargetTransform(t: NonNullable<RunRecord["targetTransform"]>): string {
  return t.op === "standardize"
    ? `standardized on the training rows (mean ${formatNumber(t.mean)}, standard deviation ${formatNumber(t.std)}); the model answers in the target's own units`
    : `scaled to [0, 1] on the training rows (min ${formatNumber(t.min)}, range ${formatNumber(t.range)}); the model answers in the target's own units`;
}

function shape(dims: number[]): string {
  return `[${dims.join(", ")}]`;
}

function table(header: string[], rows: string[][], align?: ("left" | "right")[]): string {
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  const out = [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (align?.[i] === "right" ? "---:" : "---")).join("|")}|`,
    ...shown.map((r) => `| ${r.join(" | ")} |`),
  ];
  if (rows.length > shown.length) out.push("", `_${rows.length - shown.length} more rows not shown._`);
  return out.join("\n");
}
