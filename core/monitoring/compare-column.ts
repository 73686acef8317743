import { chiSquaredTest } from "./chi-squared-test.ts";
import { chooseDriftTest } from "./choose-drift-test.ts";
import { DRIFT_DEFAULTS, isDrifted, type DriftTestName } from "./drift-defaults.ts";
import { alignedShares, jensenShannonDistance } from "./jensen-shannon-distance.ts";
import { ksTwoSample } from "./ks-two-sample.ts";
import { binShares, populationStabilityIndex } from "./population-stability-index.ts";
import { countValues, numericValue } from "./profile-column.ts";
import type { ColumnProfile, NumericProfile } from "./reference-profile.ts";
import { normedWassersteinDistance } from "./wasserstein-distance.ts";
import { zTestProportions } from "./z-test-proportions.ts";

/** Reference and current shares of the same bins or categories, for charts. */
export type Distribution = { bins: string[]; reference: number[]; current: number[] };

/** One column's comparison: the test, its statistic, the p-value (p-value tests) and the verdict. */
export type ColumnDrift = {
  name: string;
  test: DriftTestName;
  /** null when the current rows hold no value of the column (it drifted: its values stopped coming). */
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  currentValues: number;
  distribution: Distribution;
};

/** Compares the current values of one column with its reference profile. */
export function compareColumn(opts: {
  name: string;
  profile: ColumnProfile;
  values: readonly unknown[];
  psi?: boolean;
}): ColumnDrift {
  const { profile } = opts;
  const numbers = profile.kind === "numeric" ? numericValues(opts.values) : [];
  const current = profile.kind === "numeric" ? countValues(numbers) : countValues(opts.values);
  const reference = new Map(Object.entries(profile.frequencies ?? {}));
  const distinct =
    profile.kind === "numeric" && profile.frequencies === undefined
      ? profile.distinct
      : new Set([...reference.keys(), ...current.keys()]).size;
  const continuous = profile.kind === "numeric" && distinct > DRIFT_DEFAULTS.fewValues;
  const chosen = chooseDriftTest({
    numeric: profile.kind === "numeric",
    referenceRows: profile.count,
    distinctValues: distinct,
  });
  const test: DriftTestName = opts.psi ? "psi" : chosen;
  const threshold = DRIFT_DEFAULTS.thresholds[test];
  const currentValues = continuous ? numbers.length : sumOf(current);
  const distribution =
    continuous && profile.kind === "numeric"
      ? numericDistribution(profile, numbers)
      : categoryDistribution(reference, current);
  const base = { name: opts.name, test, threshold, currentValues, distribution };
  if (currentValues === 0) return { ...base, statistic: null, pValue: null, drifted: true };
  const r =
    continuous && profile.kind === "numeric"
      ? runNumeric(test, profile, numbers)
      : runCategorical(test, reference, current);
  const value = r.pValue ?? r.statistic;
  return { ...base, statistic: r.statistic, pValue: r.pValue, drifted: isDrifted(test, value, threshold) };
}

type Outcome = { statistic: number; pValue: number | null };

function runNumeric(test: DriftTestName, profile: NumericProfile, current: number[]): Outcome {
  if (test === "ks") {
    const r = ksTwoSample(profile.values, current);
    return { statistic: r.statistic, pValue: r.pValue };
  }
  if (test === "psi") {
    return {
      statistic: populationStabilityIndex(
        binShares(profile.values, profile.deciles),
        binShares(current, profile.deciles),
      ),
      pValue: null,
    };
  }
  return {
    statistic: normedWassersteinDistance({ reference: profile.values, current, referenceStd: profile.std }),
    pValue: null,
  };
}

function runCategorical(
  test: DriftTestName,
  reference: Map<string, number>,
  current: Map<string, number>,
): Outcome {
  if (test === "chisquare") return chiSquaredTest(reference, current);
  if (test === "z") return zTestProportions(reference, current);
  const shares = alignedShares(reference, current);
  if (test === "psi")
    return { statistic: populationStabilityIndex(shares.reference, shares.current), pValue: null };
  return { statistic: jensenShannonDistance(shares.reference, shares.current), pValue: null };
}

function numericValues(values: readonly unknown[]): number[] {
  const out: number[] = [];
  for (const v of values) {
    const n = numericValue(v);
    if (n !== undefined) out.push(n);
  }
  return out;
}

function sumOf(counts: Map<string, number>): number {
  let s = 0;
  for (const v of counts.values()) s += v;
  return s;
}

const fmt = (x: number) => String(Number(x.toPrecision(3)));

/** The reference histogram's bins, plus one bin on each side for current values outside its range. */
function numericDistribution(profile: NumericProfile, current: number[]): Distribution {
  const { edges, counts } = profile.histogram;
  const inner = counts.length;
  const cur = new Array<number>(inner + 2).fill(0);
  const width = (profile.max - profile.min) / inner;
  for (const v of current) {
    if (v < profile.min) cur[0]!++;
    else if (v > profile.max) cur[inner + 1]!++;
    else cur[1 + (width === 0 ? 0 : Math.min(inner - 1, Math.floor((v - profile.min) / width)))]!++;
  }
  const bins = [
    `< ${fmt(profile.min)}`,
    ...counts.map((_, k) => `${fmt(edges[k]!)}–${fmt(edges[k + 1]!)}`),
    `> ${fmt(profile.max)}`,
  ];
  const ref = [0, ...counts.map((c) => c / profile.count), 0];
  const curShares = cur.map((c) => (current.length > 0 ? c / current.length : 0));
  // The outer bins are shown only when current values fell there.
  const keep = bins.map((_, k) => (k !== 0 && k !== inner + 1) || cur[k]! > 0);
  const pick = <T>(xs: T[]) => xs.filter((_, k) => keep[k]);
  return { bins: pick(bins), reference: pick(ref), current: pick(curShares) };
}

const MAX_CATEGORIES = 12;

function categoryDistribution(reference: Map<string, number>, current: Map<string, number>): Distribution {
  const total = (m: Map<string, number>) => Math.max(1, sumOf(m));
  const rt = total(reference);
  const ct = total(current);
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort(
    (a, b) =>
      Math.max((reference.get(b) ?? 0) / rt, (current.get(b) ?? 0) / ct) -
        Math.max((reference.get(a) ?? 0) / rt, (current.get(a) ?? 0) / ct) || (a < b ? -1 : 1),
  );
  const shown = keys.slice(0, MAX_CATEGORIES);
  const rest = keys.slice(MAX_CATEGORIES);
  const share = (m: Map<string, number>, t: number, ks: string[]) =>
    ks.reduce((s, k) => s + (m.get(k) ?? 0), 0) / t;
  return {
    bins: [...shown, ...(rest.length ? [`${rest.length} others`] : [])],
    reference: [
      ...shown.map((k) => share(reference, rt, [k])),
      ...(rest.length ? [share(reference, rt, rest)] : []),
    ],
    current: [
      ...shown.map((k) => share(current, ct, [k])),
      ...(rest.length ? [share(current, ct, rest)] : []),
    ],
  };
}
