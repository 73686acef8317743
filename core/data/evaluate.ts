/** Validation metrics for a classifier from row-major probabilities `[n, classes]` and true class indices. */
export function evaluateClassification(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  classes: number,
): {
  accuracy: number;
  f1_macro: number;
  log_loss: number;
} {
  const n = truth.length;
  const tp = new Array<number>(classes).fill(0);
  const fp = new Array<number>(classes).fill(0);
  const fn = new Array<number>(classes).fill(0);
  let correct = 0;
  let logLoss = 0;
  // Same clipping as scikit-learn so log loss stays finite when a probability is 0.
  const eps = 1e-15;
  for (let i = 0; i < n; i++) {
    const y = truth[i]!;
    let best = 0;
    for (let k = 1; k < classes; k++)
      if (probabilities[i * classes + k]! > probabilities[i * classes + best]!) best = k;
    if (best === y) {
      correct++;
      tp[y]!++;
    } else {
      fp[best]!++;
      fn[y]!++;
    }
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i * classes + y]!));
    logLoss -= Math.log(p);
  }
  let f1Sum = 0;
  for (let k = 0; k < classes; k++) {
    const denom = 2 * tp[k]! + fp[k]! + fn[k]!;
    f1Sum += denom === 0 ? 0 : (2 * tp[k]!) / denom;
  }
  return {
    accuracy: n ? correct / n : 0,
    f1_macro: classes ? f1Sum / classes : 0,
    log_loss: n ? logLoss / n : 0,
  };
}

/** Validation metrics for a regressor. r2 is 0 when the truth is constant. */
export function evaluateRegression(
  prediction: ArrayLike<number>,
  truth: ArrayLike<number>,
): {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
} {
  const n = truth.length;
  let se = 0;
  let ae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i]!;
  mean /= n || 1;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = prediction[i]! - truth[i]!;
    se += d * d;
    ae += Math.abs(d);
    ss += (truth[i]! - mean) ** 2;
  }
  const mse = n ? se / n : 0;
  return { mse, rmse: Math.sqrt(mse), mae: n ? ae / n : 0, r2: ss > 0 ? 1 - se / ss : 0 };
}
