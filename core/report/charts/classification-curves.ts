/** A curve's points and the area under it (ROC: AUC; PR: average precision, as scikit-learn computes them). */
export type Curve = { points: Array<{ x: number; y: number }>; area: number };

function thresholds(scores: readonly number[], positive: readonly boolean[]) {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const steps: Array<{ tp: number; fp: number }> = [];
  let tp = 0;
  let fp = 0;
  order.forEach((i, k) => {
    if (positive[i]) tp++;
    else fp++;
    const next = order[k + 1];
    // One point per distinct score: tied scores move together.
    if (next === undefined || scores[next] !== scores[i]) steps.push({ tp, fp });
  });
  return { steps, positives: tp, negatives: fp };
}

/** ROC curve (false positive rate, true positive rate) and its trapezoidal AUC; NaN without both classes. */
export function rocCurve(scores: readonly number[], positive: readonly boolean[]): Curve {
  const { steps, positives, negatives } = thresholds(scores, positive);
  if (positives === 0 || negatives === 0) return { points: [], area: Number.NaN };
  const points = [{ x: 0, y: 0 }, ...steps.map((s) => ({ x: s.fp / negatives, y: s.tp / positives }))];
  let area = 0;
  for (let i = 1; i < points.length; i++)
    area += ((points[i]!.x - points[i - 1]!.x) * (points[i]!.y + points[i - 1]!.y)) / 2;
  return { points, area };
}

/** Precision-recall curve and average precision Σ (Rₙ − Rₙ₋₁) Pₙ; NaN without a positive row. */
export function precisionRecallCurve(scores: readonly number[], positive: readonly boolean[]): Curve {
  const { steps, positives } = thresholds(scores, positive);
  if (positives === 0) return { points: [], area: Number.NaN };
  const points = [{ x: 0, y: 1 }];
  let area = 0;
  let lastRecall = 0;
  for (const s of steps) {
    const recall = s.tp / positives;
    const precision = s.tp / (s.tp + s.fp);
    area += (recall - lastRecall) * precision;
    lastRecall = recall;
    points.push({ x: recall, y: precision });
  }
  return { points, area };
}
