import type { SpaceDim } from "./search-space.ts";
import { sampleTruncNorm, normalMass, truncNormLogPdf } from "./truncated-normal.ts";

/** TPE settings; the defaults are Optuna's. */
export type ParzenParams = { priorWeight: number; considerMagicClip: boolean };

/** A one-dimensional mixture, in the sampler's internal space (log space for log dimensions). */
export type Parzen =
  | {
      kind: "numeric";
      weights: number[];
      mus: number[];
      sigmas: number[];
      low: number;
      high: number;
      /** 1 for integer dimensions on a linear scale, null for continuous ones. */
      step: number | null;
    }
  | { kind: "categorical"; weights: number[]; probs: number[][] };

/** Optuna's default observation weights: flat for the 25 newest, a ramp for older ones. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return Array.from({ length: n }, () => 1);
  const ramp = linspace(1 / n, 1, n - 25);
  return [...ramp, ...Array.from({ length: 25 }, () => 1)];
}

function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Bounds and step of a numeric dimension in internal space. */
export function internalBounds(dim: Exclude<SpaceDim, { kind: "categorical" }>): {
  low: number;
  high: number;
  step: number | null;
} {
  if (dim.kind === "int" && dim.log)
    return { low: Math.log(dim.low - 0.5), high: Math.log(dim.high + 0.5), step: null };
  if (dim.kind === "int") return { low: dim.low, high: dim.high, step: 1 };
  return dim.log
    ? { low: Math.log(dim.low), high: Math.log(dim.high), step: null }
    : { low: dim.low, high: dim.high, step: null };
}

/**
 * Fits the mixture to observations (already in internal space; categorical ones as choice
 * indices, oldest first): one kernel per observation plus the prior, with Optuna's bandwidths.
 */
export function buildParzen(dim: SpaceDim, observations: readonly number[], params: ParzenParams): Parzen {
  const weights = normalise([...defaultWeights(observations.length), params.priorWeight]);
  if (dim.kind === "categorical") {
    const c = dim.choices.length;
    const nKernels = observations.length + 1;
    // The last row, the prior's, stays uniform.
    const probs = [...observations, -1].map((o) => {
      const row = Array.from({ length: c }, () => params.priorWeight / nKernels);
      if (o >= 0) row[o]! += 1;
      return normalise(row);
    });
    return { kind: "categorical", weights, probs };
  }
  const { low, high, step } = internalBounds(dim);
  const s = step ?? 0;
  const range = high - low + s;
  const priorMu = 0.5 * (low + high);
  const sigmas = bandwidths(observations, low, high, s, priorMu);
  const maxSigma = range;
  const minSigma = params.considerMagicClip ? range / Math.min(100, 1 + observations.length + 1) : 1e-12;
  return {
    kind: "numeric",
    weights,
    mus: [...observations, priorMu],
    sigmas: [...sigmas.map((x) => Math.min(maxSigma, Math.max(minSigma, x))), range],
    low,
    high,
    step,
  };
}

/** Each kernel's width: the larger gap to its sorted neighbours (the prior's mean included). */
function bandwidths(obs: readonly number[], low: number, high: number, s: number, priorMu: number): number[] {
  const withPrior = [...obs, priorMu];
  const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a]! - withPrior[b]! || a - b);
  const sorted = [low - s / 2, ...order.map((i) => withPrior[i]!), high + s / 2];
  const sortedSigmas = order.map((_, k) =>
    Math.max(sorted[k + 1]! - sorted[k]!, sorted[k + 2]! - sorted[k + 1]!),
  );
  // consider_endpoints=False: the outermost kernels look only inwards.
  if (sorted.length >= 4) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  const sigmas = new Array<number>(withPrior.length);
  order.forEach((idx, k) => (sigmas[idx] = sortedSigmas[k]!));
  return sigmas.slice(0, obs.length);
}

function normalise(xs: number[]): number[] {
  const sum = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => x / sum);
}

/** One draw from the mixture. */
export function sampleParzen(p: Parzen, rand: () => number): number {
  const k = pick(p.weights, rand);
  if (p.kind === "categorical") return pick(p.probs[k]!, rand);
  const s = p.step ?? 0;
  const x = sampleTruncNorm(rand, p.mus[k]!, p.sigmas[k]!, p.low - s / 2, p.high + s / 2);
  if (p.step === null) return x;
  return Math.min(p.high, Math.max(p.low, p.low + Math.round((x - p.low) / p.step) * p.step));
}

/** log density (or log mass for discrete dimensions) of the mixture at x. */
export function logPdfParzen(p: Parzen, x: number): number {
  const terms = p.weights.map((w, k) => {
    if (p.kind === "categorical") return Math.log(w) + Math.log(p.probs[k]![x] ?? 0);
    const mu = p.mus[k]!;
    const sigma = p.sigmas[k]!;
    if (p.step === null) return Math.log(w) + truncNormLogPdf(x, mu, sigma, p.low, p.high);
    const h = p.step / 2;
    const mass = normalMass(x - h, x + h, mu, sigma) / normalMass(p.low - h, p.high + h, mu, sigma);
    return Math.log(w) + Math.log(mass);
  });
  return logSumExp(terms);
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

function pick(weights: readonly number[], rand: () => number): number {
  let u = rand();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
