import { AB_DEFAULTS, samplesNeededMeans, samplesNeededProportions } from "./ab-samples-needed.ts";
import { twoProportionZTest } from "./ab-two-proportion.ts";
import type { MeanSample } from "./ab-welch-t-test.ts";
import { welchTTest } from "./ab-welch-t-test.ts";

/** Ground truth matched to one variant's answers: right classes, or absolute errors. */
export type VariantFeedback =
  | { kind: "classification"; labelled: number; correct: number }
  | { kind: "regression"; labelled: number; absError: MeanSample };

export type AbOutcome = "candidate-better" | "candidate-worse" | "not-significant" | "no-feedback";

export type AbVerdict = {
  outcome: AbOutcome;
  test: "two-proportion-z" | "welch-t" | null;
  /** Accuracy (classification) or mean absolute error (regression) per variant. */
  stable: number | null;
  candidate: number | null;
  /** Candidate minus stable. */
  difference: number | null;
  statistic: number | null;
  pValue: number | null;
  alpha: number;
  /** More labelled requests each variant needs to tell this difference apart; null when unknown. */
  moreNeeded: number | null;
  message: string;
};

/**
 * The A/B verdict on ground truth: a two-proportion z-test on accuracy (classification) or
 * Welch's t-test on absolute errors (regression), at `alpha`; when not yet significant, how many
 * more labelled requests per variant the observed effect needs (power 80%).
 */
export function abVerdict(o: {
  stable: VariantFeedback | null;
  candidate: VariantFeedback | null;
  alpha?: number;
}): AbVerdict {
  const alpha = o.alpha ?? AB_DEFAULTS.alpha;
  const s = o.stable;
  const c = o.candidate;
  if (!s || !c || s.labelled === 0 || c.labelled === 0 || s.kind !== c.kind) return noFeedback(alpha, s, c);
  if (s.kind === "classification" && c.kind === "classification") {
    const a = { successes: s.correct, trials: s.labelled };
    const b = { successes: c.correct, trials: c.labelled };
    const r = twoProportionZTest(a, b);
    const needed = samplesNeededProportions(a, b, { alpha });
    return decide({
      test: "two-proportion-z",
      stable: a.successes / a.trials,
      candidate: b.successes / b.trials,
      difference: r.difference,
      statistic: r.z,
      pValue: r.pValue,
      alpha,
      higherIsBetter: true,
      moreNeeded: needed === null ? null : Math.max(0, needed - Math.min(a.trials, b.trials)),
      what: "accuracy",
    });
  }
  if (s.kind === "regression" && c.kind === "regression") {
    const r = welchTTest(s.absError, c.absError);
    const needed = samplesNeededMeans(s.absError, c.absError, { alpha });
    return decide({
      test: "welch-t",
      stable: s.absError.mean,
      candidate: c.absError.mean,
      difference: r.difference,
      statistic: r.t,
      pValue: r.pValue,
      alpha,
      higherIsBetter: false,
      moreNeeded: needed === null ? null : Math.max(0, needed - Math.min(s.absError.n, c.absError.n)),
      what: "mean absolute error",
    });
  }
  return noFeedback(alpha, s, c);
}

function decide(x: {
  test: "two-proportion-z" | "welch-t";
  stable: number;
  candidate: number;
  difference: number;
  statistic: number;
  pValue: number;
  alpha: number;
  higherIsBetter: boolean;
  moreNeeded: number | null;
  what: string;
}): AbVerdict {
  const significant = x.pValue < x.alpha;
  const better = x.higherIsBetter ? x.difference > 0 : x.difference < 0;
  const outcome: AbOutcome = !significant
    ? "not-significant"
    : better
      ? "candidate-better"
      : "candidate-worse";
  const values = `${x.what} ${fmt(x.candidate)} vs ${fmt(x.stable)}, p = ${x.pValue.toPrecision(3)}`;
  let message: string;
  if (outcome === "candidate-better") message = `candidate better: ${values}`;
  else if (outcome === "candidate-worse") message = `candidate worse: ${values}`;
  else if (x.moreNeeded === null) message = `not yet significant: ${values}; no difference to detect yet`;
  else
    message = `not yet significant: ${values}; ${x.moreNeeded} more labelled requests per variant needed at this effect size`;
  const { higherIsBetter: _h, what: _w, ...rest } = x;
  return { outcome, ...rest, message };
}

function noFeedback(alpha: number, s: VariantFeedback | null, c: VariantFeedback | null): AbVerdict {
  const mixed = s !== null && c !== null && s.kind !== c.kind;
  return {
    outcome: "no-feedback",
    test: null,
    stable: null,
    candidate: null,
    difference: null,
    statistic: null,
    pValue: null,
    alpha,
    moreNeeded: null,
    message: mixed
      ? "the variants' feedback mixes labels and values: send one kind for both"
      : "no labelled requests for both variants yet: POST ground truth to /v2/models/{name}/feedback",
  };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 || x === 0 ? x.toFixed(1) : x.toPrecision(4);
}
