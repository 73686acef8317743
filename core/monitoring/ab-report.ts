import type { RolloutProgress, TrafficEntry } from "../rollout/traffic-status.ts";
import type { AbVerdict } from "./ab-verdict.ts";
import { abVerdict } from "./ab-verdict.ts";

/** One variant in the A/B report. */
export type AbReportVariant = Pick<
  TrafficEntry,
  | "variant"
  | "version"
  | "slot"
  | "weight"
  | "shadowPercent"
  | "since"
  | "requests"
  | "errors"
  | "clientErrors"
  | "errorRate"
  | "p50Ms"
  | "p95Ms"
  | "p99Ms"
  | "feedback"
  | "shadow"
>;

/** `modelship ab report --json`: both variants side by side and the verdict on ground truth. */
export type AbReport = {
  environment: string;
  rollout: RolloutProgress | null;
  stable: AbReportVariant | null;
  candidate: AbReportVariant | null;
  verdict: AbVerdict;
};

/** Builds the A/B report from a status's `traffic` entries (the candidate: the variant so named). */
export function buildAbReport(o: {
  environment: string;
  traffic: readonly TrafficEntry[];
  rollout: RolloutProgress | null;
  alpha?: number;
}): AbReport {
  const pick = (v: "stable" | "candidate") => {
    const e = o.traffic.find((t) => t.variant === v && (v === "candidate" || t.weight > 0));
    return e ? variantOf(e) : null;
  };
  const stable = pick("stable");
  const candidate = pick("candidate");
  const verdict = abVerdict({
    stable: stable?.feedback ?? null,
    candidate: candidate?.feedback ?? null,
    ...(o.alpha === undefined ? {} : { alpha: o.alpha }),
  });
  return { environment: o.environment, rollout: o.rollout, stable, candidate, verdict };
}

function variantOf(e: TrafficEntry): AbReportVariant {
  const { variant, version, slot, weight, shadowPercent, since, requests, errors, clientErrors } = e;
  const { errorRate, p50Ms, p95Ms, p99Ms, feedback, shadow } = e;
  return {
    variant,
    version,
    slot,
    weight,
    shadowPercent,
    since,
    requests,
    errors,
    clientErrors,
    errorRate,
    p50Ms,
    p95Ms,
    p99Ms,
    feedback,
    shadow,
  };
}

/** The hidden marker of the one A/B report comment per model and environment on a pull request. */
export function abReportMarker(model: string, environment: string): string {
  return `<!-- modelship:ab-report model=${model} env=${environment} -->`;
}

/** The report as a Markdown table with the verdict under it (CLI text, job summary, PR comment). */
export function renderAbReport(r: AbReport): string {
  const head = r.rollout
    ? `A/B report · ${r.environment} · ${r.rollout.strategy} of v${r.rollout.version} (${r.rollout.phase})`
    : `A/B report · ${r.environment} · no rollout in progress`;
  const rows = [r.stable, r.candidate].filter((v): v is AbReportVariant => v !== null).map(row);
  return [
    `### ${head}`,
    "",
    "| variant | version | traffic | requests | errors | p50 ms | p95 ms | p99 ms | labelled | accuracy / MAE | shadow agreement |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `**Verdict:** ${r.verdict.message}`,
    "",
  ].join("\n");
}

function row(v: AbReportVariant): string {
  const traffic = v.shadowPercent === null ? `${v.weight}%` : `shadow ${v.shadowPercent}%`;
  const f = v.feedback;
  const score =
    f === null ? "-" : f.kind === "classification" ? pct(f.correct / f.labelled) : num(f.absError.mean);
  const agree =
    v.shadow?.agreementRate == null
      ? "-"
      : v.shadow.kind === "regression"
        ? `${pct(v.shadow.agreementRate)} (mean diff ${num(v.shadow.meanAbsDifference ?? 0)})`
        : pct(v.shadow.agreementRate);
  const cells = [
    v.variant,
    `v${v.version}`,
    traffic,
    String(v.requests),
    `${v.errors} (${pct(v.errorRate)})`,
    num(v.p50Ms),
    num(v.p95Ms),
    num(v.p99Ms),
    String(f?.labelled ?? 0),
    score,
    agree,
  ];
  return `| ${cells.join(" | ")} |`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function num(x: number | null): string {
  return x === null ? "-" : x.toFixed(Math.abs(x) >= 100 ? 0 : 2);
}
