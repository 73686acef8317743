import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFeatureRows } from "../../adapters/monitoring/read-feature-rows.ts";
import { readReferenceProfile } from "../../adapters/monitoring/read-reference-profile.ts";
import { detectDrift } from "../../core/monitoring/detect-drift.ts";
import type { ReferenceProfile } from "../../core/monitoring/reference-profile.ts";
import { driftJson, type DriftJson } from "../../core/report/render-drift-json.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";

// The penguins example, trained for real (20 epochs, enough for its answers to match the species), then
// compared with the very data it came from and with copies where known columns were shifted. The
// decisions are checked in-process on the files the CLI reads; the CLI itself runs for the exit
// codes, the JSON shape, the reports it writes and bad input.

type Penguin = Record<string, number | string | null>;
let repo: string;
let penguins: Penguin[];
let runDir: string;
let profile: ReferenceProfile;

const shift =
  (column: string, f: (v: number) => number) =>
  (r: Penguin): Penguin => {
    const v = r[column];
    return { ...r, [column]: typeof v === "number" ? f(v) : (v ?? null) };
  };
const islandMoved = (r: Penguin): Penguin => ({
  ...r,
  island: r.island === "torgersen" ? "biscoe" : (r.island ?? null),
});
const pipe =
  (...fs: Array<(r: Penguin) => Penguin>) =>
  (r: Penguin) =>
    fs.reduce((acc, f) => f(acc), r);
const THREE_SHIFTED = pipe(
  shift("flipper_length_mm", (v) => v + 12),
  shift("body_mass_g", (v) => v + 600),
  islandMoved,
);

async function dataFile(name: string, rows: Penguin[]): Promise<string> {
  const path = join(repo, "current", `${name.replace(/\W+/g, "-")}.json`);
  await mkdir(join(repo, "current"), { recursive: true });
  await writeFile(path, JSON.stringify(rows));
  return path;
}

const drift = (...args: string[]) => runCli(["drift", ...args], { cwd: repo });

beforeAll(async () => {
  const config = (await readFile("examples/penguins/modelship.yml", "utf8")).replace(
    "examples/penguins/data/penguins.json",
    "data/penguins.json",
  );
  const data = await readFile("examples/penguins/data/penguins.json", "utf8");
  penguins = JSON.parse(data) as Penguin[];
  repo = await makeConfigRepo({ config, prefix: "ms-drift-", files: { "data/penguins.json": data } });
  const train = await runCli(["train", "--run-id", "r1", "--set", "epochs=20", "--no-progress", "-q"], {
    cwd: repo,
  });
  expect(train.code, train.stderr).toBe(0);
  runDir = join(repo, ".modelship", "runs", "r1");
  profile = await readReferenceProfile(runDir);
}, 120_000);
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe("the reference profile training writes", () => {
  it("holds the training split, every feature with every value, and the answers on the validation rows", async () => {
    const run = JSON.parse(await readFile(join(runDir, "run.json"), "utf8")) as {
      data: { trainRows: number; validationRows: number };
    };
    expect(profile.rows).toBe(run.data.trainRows);
    expect(profile.features.map((f) => [f.name, f.kind])).toEqual([
      ["bill_length_mm", "numeric"],
      ["bill_depth_mm", "numeric"],
      ["flipper_length_mm", "numeric"],
      ["body_mass_g", "numeric"],
      ["island", "categorical"],
      ["sex", "categorical"],
    ]);
    // At most 1,000 reference rows: every value is kept, so KS runs exactly.
    const bill = profile.features[0]!;
    expect(bill.kind === "numeric" && bill.values.length === bill.count && !bill.sampled).toBe(true);
    expect(profile.prediction).toMatchObject({
      name: "label",
      kind: "categorical",
      rows: run.data.validationRows,
    });
    expect(profile.prediction?.labels).toEqual(["adelie", "chinstrap", "gentoo"]);
  });
});

describe("drift decisions on the penguins data (Evidently's defaults)", () => {
  it.each([
    ["the data it was trained on", (r: Penguin) => r, false, []],
    [
      "one shifted column (bill depth × 1.15)",
      shift("bill_depth_mm", (v) => v * 1.15),
      false,
      ["bill_depth_mm"],
    ],
    [
      "three of six shifted (flipper + 12 mm, body mass + 600 g, Torgersen's penguins on Biscoe)",
      THREE_SHIFTED,
      true,
      ["flipper_length_mm", "body_mass_g", "island"],
    ],
  ])("%s", async (name, f, datasetDrift, driftedFeatures) => {
    const { rows } = await readFeatureRows(await dataFile(name, penguins.map(f)));
    const json = driftJson(detectDrift({ profile, rows }));
    expect(json.drift).toBe(datasetDrift);
    expect(json.status).toBe(datasetDrift ? "drift" : "no-drift");
    expect(json.rows).toEqual({ reference: profile.rows, current: penguins.length });
    expect(json.features.filter((x) => x.drifted).map((x) => x.name)).toEqual(driftedFeatures);
    expect(json.share).toBeCloseTo(driftedFeatures.length / 6, 12);
    expect(json.features.map((x) => [x.name, x.test, x.threshold])).toEqual([
      ["bill_length_mm", "ks", 0.05],
      ["bill_depth_mm", "ks", 0.05],
      ["flipper_length_mm", "ks", 0.05],
      ["body_mass_g", "ks", 0.05],
      ["island", "chisquare", 0.05],
      ["sex", "z", 0.05],
    ]);
    for (const x of json.features) expect(x.drifted).toBe(x.pValue! <= 0.05);
  });

  it("the answers: the species column as predictions does not drift; only Adelie answers do", async () => {
    const { rows } = await readFeatureRows(await dataFile("answers", penguins));
    const same = detectDrift({ profile, rows, predictions: rows.map((r) => r["species"]) }).prediction!;
    expect(same).toMatchObject({ name: "label", test: "chisquare", drifted: false });
    const adelie = detectDrift({ profile, rows, predictions: rows.map(() => "adelie") }).prediction!;
    expect(adelie).toMatchObject({ test: "chisquare", drifted: true });
    expect(adelie.pValue).toBeLessThan(1e-10);
  });

  it("fewer rows than the minimum window (100): not enough data, no verdict", async () => {
    const { rows } = await readFeatureRows(await dataFile("few", penguins.slice(0, 99)));
    expect(driftJson(detectDrift({ profile, rows }))).toEqual({
      drift: false,
      share: 0,
      rows: { reference: profile.rows, current: 99 },
      features: [],
      status: "not-enough-data",
      prediction: null,
    });
  });

  it("PSI instead (reference deciles, threshold 0.1) flags the same single column", async () => {
    const { rows } = await readFeatureRows(
      await dataFile("psi", penguins.map(shift("bill_depth_mm", (v) => v * 1.15))),
    );
    const json = driftJson(detectDrift({ profile, rows, options: { psi: true } }));
    expect(json.features.every((x) => x.test === "psi" && x.threshold === 0.1 && x.pValue === null)).toBe(
      true,
    );
    expect(json.features.filter((x) => x.drifted).map((x) => x.name)).toEqual(["bill_depth_mm"]);
  });
});

describe("modelship drift --current FILE --reference RUN_DIR", () => {
  it("dataset drift: exit 1, the JSON document, the Markdown report and the Prometheus gauges", async () => {
    const file = await dataFile("three", penguins.map(THREE_SHIFTED));
    const md = join(repo, "out", "drift.md");
    const prom = join(repo, "out", "drift.prom");
    const r = await drift(
      "--reference",
      runDir,
      "--current",
      file,
      "--json",
      "--markdown",
      md,
      "--metrics-file",
      prom,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as DriftJson;
    expect(Object.keys(json)).toEqual(["drift", "share", "rows", "features", "status", "prediction"]);
    expect(json).toMatchObject({ drift: true, share: 0.5, rows: { reference: profile.rows, current: 344 } });
    for (const x of json.features)
      expect(Object.keys(x)).toEqual(["name", "test", "statistic", "pValue", "threshold", "drifted"]);

    const report = await readFile(md, "utf8");
    expect(report).toContain("⚠️ **Dataset drift**: 3 of 6 features drifted (50%).");
    expect(report).toContain("| flipper\\_length\\_mm | Kolmogorov–Smirnov |");
    expect(report.match(/```mermaid\nxychart-beta/g)).toHaveLength(3);
    const gauges = await readFile(prom, "utf8");
    expect(gauges).toContain('modelship_dataset_drift{model="penguins",environment="production"} 1');
    expect(gauges).toContain(
      'modelship_feature_drift{model="penguins",environment="production",feature="island"} 1',
    );
    expect(gauges).toContain(
      'modelship_feature_drift{model="penguins",environment="production",feature="sex"} 0',
    );
    expect(gauges).toContain('modelship_dataset_drift_share{model="penguins",environment="production"} 0.5');
  });

  it("no drift: exit 0 and a table", async () => {
    const file = await dataFile("same", penguins);
    const r = await drift("--reference", runDir, "--current", file, "--prediction-column", "species");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bill_length_mm\s+ks\s+\S+\s+\S+\s+p<=0\.0500\s+ok$/m);
    expect(r.stdout).toMatch(/^label \(prediction\)\s+chisquare\s+.*ok$/m);
    expect(r.stdout).toContain("no drift: 0 of 6 features drifted");
  });
});

describe("modelship drift --env: the environment's prediction log", () => {
  it("compares client requests only, with the version the environment's alias names", async () => {
    const reg = await runCli(["register", ".modelship/runs/r1", "--alias", "production", "-q"], {
      cwd: repo,
    });
    expect(reg.code, reg.stderr).toBe(0);
    // What the servers of `production` logged, in two colours' folders: client requests of shifted
    // penguins (two rows each, answered with labels), shadow copies and smoke checks of the
    // unshifted ones, and a last line cut short while it was being written.
    const record = (traffic: string, rows: Penguin[], i: number) =>
      JSON.stringify({
        ts: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
        id: `r${traffic}${i}`,
        model: "penguins",
        version: "1.0.0",
        variant: "stable",
        traffic,
        latencyMs: 1.5,
        status: 200,
        inputs: rows.map(({ species: _s, ...features }) => features),
        outputs: rows.map((r) => ({ label: r.species, probabilities: [0.8, 0.1, 0.1] })),
      });
    const shifted = penguins.map(THREE_SHIFTED);
    const client: string[] = [];
    for (let i = 0; i + 1 < shifted.length; i += 2) client.push(record("client", shifted.slice(i, i + 2), i));
    const others = penguins
      .slice(0, 50)
      .flatMap((r, i) => [record("shadow", [r], i), record("smoke", [r], i)]);
    const dir = join(repo, ".modelship", "deploy", "production", "predictions");
    await mkdir(join(dir, "blue"), { recursive: true });
    await mkdir(join(dir, "green"), { recursive: true });
    const half = client.length / 2;
    await writeFile(join(dir, "blue", "predictions-1.jsonl"), `${client.slice(0, half).join("\n")}\n`);
    await writeFile(
      join(dir, "green", "predictions-2.jsonl"),
      `${[...client.slice(half), ...others].join("\n")}\n{"ts":"2026-03`,
    );

    const r = await drift("--env", "production", "--json");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("reference: the production alias (nothing live in production)");
    expect(r.stderr).toContain(
      "warning: 1 lines of the prediction log are not prediction records and were skipped",
    );
    expect(r.stderr).toMatch(
      /prediction log: 172 client requests \(344 rows\) compared; 50 shadow and 50 smoke requests left out/,
    );
    const json = JSON.parse(r.stdout) as DriftJson;
    expect(json.rows).toEqual({ reference: profile.rows, current: 344 });
    expect(json.features.filter((x) => x.drifted).map((x) => x.name)).toEqual([
      "flipper_length_mm",
      "body_mass_g",
      "island",
    ]);
    expect(json.prediction).toMatchObject({ name: "label", test: "chisquare", drifted: false });
    // The environment keeps its latest verdict for the dashboard.
    const latest = JSON.parse(
      await readFile(join(repo, ".modelship", "deploy", "production.drift.json"), "utf8"),
    ) as DriftJson & { at: string; reference: string };
    expect(latest).toMatchObject({ drift: true, share: json.share, features: json.features });
    expect(Date.parse(latest.at)).toBeGreaterThan(0);

    // Only what was answered since a time: too few rows for a verdict.
    const late = await drift("--env", "production", "--since", "2026-03-01T00:05:00Z", "--json");
    expect(late.code).toBe(0);
    expect(JSON.parse(late.stdout)).toMatchObject({ status: "not-enough-data", rows: { current: 44 } });
  });
});

describe("bad input exits 2 with what, where and how to fix", () => {
  it.each([
    [["--env", "production", "--current", "x.csv"], /--env and --current both name the current data/],
    [
      ["--reference", ".", "--current", "x.csv"],
      /has no model\/reference-profile\.json.*\n.*hint: .*\[reference-profile-missing\]/,
    ],
    [
      ["--min-rows", "0", "--current", "x.csv", "--reference", "RUN"],
      /--min-rows must be a positive integer, got '0'/,
    ],
  ])("%j", async (args, message) => {
    const r = await drift(...args.map((a) => (a === "RUN" ? runDir : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
