import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import type { Transform } from "../../../core/config/schema.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { createPreprocessorFitter } from "../../../core/features/fit-preprocessor-stream.ts";
import {
  fitPreprocessor,
  isMissing,
  type FitPreprocessorOptions,
  type FittedPreprocessor,
} from "../../../core/features/preprocessor.ts";
import { MEDIAN_RELATIVE_ACCURACY } from "../../../core/features/running-stats.ts";

type Row = Record<string, unknown>;
const root = join(import.meta.dirname, "../../..");
const json = (path: string) => JSON.parse(readFileSync(join(root, path), "utf8")) as Row[];

function streamFit(rows: Row[], opts: FitPreprocessorOptions, exactMedianLimit?: number): FittedPreprocessor {
  const fitter = createPreprocessorFitter({
    ...opts,
    ...(exactMedianLimit !== undefined ? { exactMedianLimit } : {}),
  });
  rows.forEach((r, i) => fitter.add(r, () => `row ${i + 1}`));
  return fitter.finish();
}

/** Every number within 1e-9 relative (1e-12 absolute near zero); everything else identical. */
function expectClose(actual: unknown, expected: unknown, path = "$"): void {
  if (typeof expected === "number") {
    expect(typeof actual, path).toBe("number");
    const tol = Math.max(1e-9 * Math.abs(expected), 1e-12);
    expect(
      Math.abs((actual as number) - expected),
      `${path}: ${String(actual)} vs ${expected}`,
    ).toBeLessThanOrEqual(tol);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) {
      if (k !== "hash") expectClose((actual as Row)[k], v, `${path}.${k}`);
    }
  } else expect(actual, path).toEqual(expected);
}

const penguinsConfig = ConfigSchema.parse(
  parse(readFileSync(join(root, "examples/penguins/modelship.yml"), "utf8")),
);
const movies = json("node_modules/vega-datasets/data/movies.json").filter(
  (r) => !isMissing(r["IMDB Rating"]),
);
const flights = json("node_modules/vega-datasets/data/flights-200k.json");

const t = (op: string, column: string, extra: Record<string, unknown> = {}) =>
  ({ op, column, ...extra }) as Transform;

const cases: Array<{ name: string; rows: Row[]; opts: FitPreprocessorOptions }> = [
  {
    name: "penguins example (median imputes, standardize, one-hot with a constant fill)",
    rows: json("examples/penguins/data/penguins.json"),
    opts: {
      features: penguinsConfig.model.features,
      target: penguinsConfig.model.target,
      task: "classification",
      transforms: penguinsConfig.data.transforms,
    },
  },
  {
    name: "vega movies (nulls everywhere, chained scalers, most_frequent, regression target)",
    rows: movies,
    opts: {
      features: [
        "Production Budget",
        "Running Time min",
        "IMDB Votes",
        "MPAA Rating",
        "Major Genre",
        "US DVD Sales",
      ],
      target: "IMDB Rating",
      task: "regression",
      transforms: [
        t("impute", "Production Budget", { strategy: "mean" }),
        t("standardize", "Production Budget"),
        t("minmax", "Production Budget"),
        t("impute", "Running Time min", { strategy: "median" }),
        t("minmax", "Running Time min"),
        t("standardize", "Running Time min"),
        t("impute", "IMDB Votes", { strategy: "most_frequent" }),
        t("standardize", "IMDB Votes"),
        t("impute", "MPAA Rating", { strategy: "most_frequent" }),
        t("onehot", "MPAA Rating"),
        t("impute", "Major Genre", { strategy: "constant", value: "none" }),
        t("onehot", "Major Genre"),
        t("impute", "US DVD Sales", { strategy: "constant", value: 0 }),
        t("standardize", "US DVD Sales"),
      ],
    },
  },
  {
    name: "vega flights-200k (200,000 rows, minmax target)",
    rows: flights,
    opts: {
      features: ["distance", "time"],
      target: "delay",
      task: "regression",
      transforms: [
        t("standardize", "distance"),
        t("minmax", "time"),
        t("standardize", "time"),
        t("minmax", "delay"),
      ],
    },
  },
];

describe("fitting transforms in one streaming pass", () => {
  it.each(cases)("gives the in-memory parameters on $name", ({ rows, opts }) => {
    expectClose(streamFit(rows, opts), fitPreprocessor(rows, opts));
  });

  it.each([
    { column: "distance", limit: 1000 },
    { column: "delay", limit: 5000 },
    { column: "time", limit: 10 },
  ])(
    "past $limit values the median of flights' $column comes from DDSketch, within its bound",
    ({ column, limit }) => {
      const opts: FitPreprocessorOptions = {
        features: [column],
        target: "target",
        task: "regression",
        transforms: [t("impute", column, { strategy: "median" })],
      };
      const rows = flights.map((r, i) => ({ [column]: r[column], target: i % 7 }));
      const sketched = streamFit(rows, opts, limit).columns[0]!.steps[0]!;
      const exact = fitPreprocessor(rows, opts).columns[0]!.steps[0]!;
      const sorted = rows.map((r) => r[column] as number).sort((a, b) => a - b);
      const lo = sorted[Math.floor((sorted.length - 1) / 2)]!;
      const hi = sorted[Math.ceil((sorted.length - 1) / 2)]!;
      const v = (sketched as { value: number }).value;
      const bound = MEDIAN_RELATIVE_ACCURACY * Math.max(Math.abs(lo), Math.abs(hi)) + (hi - lo) / 2;
      expect(Math.abs(v - (exact as { value: number }).value)).toBeLessThanOrEqual(bound + 1e-12);
    },
  );

  it.each<{ name: string; row: Row; code: string; where: RegExp; transforms?: Transform[] }>([
    {
      name: "a missing value without impute",
      row: { a: null, y: "x" },
      code: "missing-value",
      where: /row 3/,
    },
    {
      name: "a missing category without impute",
      row: { a: "", y: "x" },
      code: "missing-value",
      where: /row 3/,
      transforms: [{ op: "onehot", column: "a" }],
    },
    {
      name: "text in a numeric column",
      row: { a: "seven", y: "x" },
      code: "categorical-without-onehot",
      where: /row 3/,
    },
    { name: "a missing target", row: { a: 1, y: null }, code: "missing-target", where: /row 3/ },
  ])("stops at $name, naming the row as the in-memory fit does", ({ row, code, where, transforms }) => {
    const rows: Row[] = [{ a: 1, y: "x" }, { a: 2, y: "z" }, row];
    const opts: FitPreprocessorOptions = {
      features: ["a"],
      target: "y",
      task: "classification",
      transforms: transforms ?? [],
    };
    let err: unknown;
    try {
      streamFit(rows, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      problems: [expect.objectContaining({ code, message: expect.stringMatching(where) })],
    });
    expect(() => fitPreprocessor(rows, opts)).toThrow(where);
  });
});
