import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ValidationReportSchema } from "../../core/data/expectations/validation-report.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";

// Real rows: the example's penguins, split over two CSV files so row numbers are per file.
const PENGUINS = JSON.parse(
  readFileSync(new URL("../../examples/penguins/data/penguins.json", import.meta.url), "utf8"),
) as Record<string, unknown>[];
const COLUMNS = ["species", "island", "bill_length_mm", "flipper_length_mm", "body_mass_g", "sex"];
const csv = (rows: Record<string, unknown>[]) =>
  `${COLUMNS.join(",")}\n${rows.map((r) => COLUMNS.map((c) => r[c] ?? "").join(",")).join("\n")}\n`;
const FILES = { "data/a.csv": csv(PENGUINS.slice(0, 40)), "data/b.csv": csv(PENGUINS.slice(200, 260)) };

const SUITE = `model: { name: penguins, target: species }
data:
  source: [data/a.csv, data/b.csv]
  expectations:
    - { expectation: expect_column_to_exist, column: island }
    - expectation: expect_column_values_to_be_in_set
      column: island
      value_set: [biscoe, dream]
    - { expectation: expect_column_values_to_not_be_null, column: sex, mostly: 0.9 }
    - { expectation: expect_table_row_count_to_be_between, min_value: 300, severity: warning }
`;

/** The transforms and training settings both training tests use, after `data:`. */
const TRAINING = `  transforms:
    - { op: impute, column: bill_length_mm, strategy: median }
    - { op: impute, column: flipper_length_mm, strategy: median }
    - { op: impute, column: body_mass_g, strategy: median }
    - { op: onehot, column: island }
    - { op: impute, column: sex, strategy: constant, value: unknown }
    - { op: onehot, column: sex }
train:
  params: { epochs: 1, layers: [{ units: 4 }] }
`;

const dirs: string[] = [];
const repo = async (config: string, files: Record<string, string> = FILES) => {
  const dir = await makeConfigRepo({ config, files, prefix: "ms-data-" });
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("modelship data validate", () => {
  it("--json: the suite's result, source rows of unexpected values, exit 1 on a failed error", async () => {
    const dir = await repo(SUITE);
    const r = await runCli(["data", "validate", "--json"], { cwd: dir });
    expect(r.code).toBe(1);
    const report = ValidationReportSchema.parse(JSON.parse(r.stdout));
    expect(report.success).toBe(false);
    expect(report.results.map((x) => [x.expectation, x.success])).toEqual([
      ["expect_column_to_exist", true],
      ["expect_column_values_to_be_in_set", false],
      ["expect_column_values_to_not_be_null", true],
      ["expect_table_row_count_to_be_between", false],
    ]);
    const inSet = report.results[1]!;
    // The first 40 penguins include the Torgersen birds from row 1; the rows 200-259 hold none.
    const torgersen = PENGUINS.slice(0, 40).flatMap((p, i) => (p["island"] === "torgersen" ? [i + 1] : []));
    expect(inSet.unexpectedCount).toBe(torgersen.length);
    expect(inSet.unexpectedPercent).toBeCloseTo((torgersen.length / 100) * 100, 9);
    expect(inSet.unexpectedSample.map((u) => u.row)).toEqual(torgersen.slice(0, 20));
    expect(inSet.unexpectedSample[0]).toEqual({
      source: "data/a.csv",
      row: torgersen[0],
      value: "torgersen",
    });
    expect(inSet.where).toEqual({ file: ".github/modelship.yml", line: 6, column: 7 });
    const nulls = report.results[2]!;
    const missingSex = [...PENGUINS.slice(0, 40), ...PENGUINS.slice(200, 260)].filter(
      (p) => p["sex"] === null,
    );
    expect(nulls.unexpectedCount).toBe(missingSex.length);
    expect(nulls.unexpectedSample.every((u) => u.value === null)).toBe(true);
    expect(report.results[3]).toMatchObject({ observed: 100, severity: "warning" });
    const rowB = nulls.unexpectedSample.find((u) => u.source === "data/b.csv");
    if (rowB) expect(PENGUINS[199 + rowB.row]!["sex"]).toBeNull();
    expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(["success", "results"]);
  });

  it("prints a table, failures first, and exits 0 when only warnings fail", async () => {
    const dir = await repo(
      SUITE.replace("value_set: [biscoe, dream]", "value_set: [biscoe, dream, torgersen]"),
    );
    const r = await runCli(["data", "validate"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(
      "Data validation: PASSED — 3 of 4 expectations hold, 1 warning (100 rows from data/a.csv, data/b.csv)",
    );
    expect(lines[3]).toMatch(/^warn\s+expect_table_row_count_to_be_between\s+—\s+100\s+0\s+line 10$/);
    expect(lines.slice(4, 7).every((l) => l.startsWith("ok "))).toBe(true);
  });

  it.each([
    [
      "a misspelt expectation",
      "data:\n  source: [data/a.csv]\n  expectations:\n    - { expectation: expect_column_values_to_be_inset, column: island }\n",
      /^error: \.github\/modelship\.yml:4:22: data\.expectations\.0\.expectation: Invalid discriminator value/m,
    ],
    [
      "a missing data file",
      "data:\n  source: [data/nope.csv]\n  expectations:\n    - { expectation: expect_column_to_exist, column: island }\n",
      /cannot read data\/nope\.csv: ENOENT/,
    ],
  ])("exits 2 on bad input: %s", async (_name, config, message) => {
    const dir = await repo(config);
    const r = await runCli(["data", "validate"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
  });
});

describe("modelship data profile", () => {
  it("drafts a suite that, pasted into the config, validates the same data", async () => {
    const dir = await repo(
      "model: { name: penguins, target: species }\ndata:\n  source: [data/a.csv, data/b.csv]\n",
    );
    const p = await runCli(["data", "profile"], { cwd: dir });
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(
      "    - { expectation: expect_column_values_to_be_in_set, column: island, value_set: [biscoe, dream, torgersen] }",
    );
    expect(p.stdout).toMatch(/# sex: str, [\d.]+% null, 2 distinct values/);
    const pasted = p.stdout.replace(/^data:\n/m, "data:\n  source: [data/a.csv, data/b.csv]\n");
    const dir2 = await repo(`model: { name: penguins, target: species }\n${pasted}`);
    const v = await runCli(["data", "validate", "--json"], { cwd: dir2 });
    expect(v.code).toBe(0);
    const report = ValidationReportSchema.parse(JSON.parse(v.stdout));
    expect(report.results.length).toBeGreaterThan(20);
    expect(report.results.every((x) => x.success)).toBe(true);
  });
});

describe("modelship train with data.expectations", () => {
  it("refuses to train when an error-severity expectation fails: exit 1, no run directory", async () => {
    const dir = await repo(SUITE);
    const r = await runCli(["train", "--runs-dir", "runs", "--no-progress"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: \.github\/modelship\.yml:6:7: expect_column_values_to_be_in_set on 'island' failed \(observed 0\.\d+, \d+ unexpected values \([\d.]+%\)\); nothing was trained$/m,
    );
    expect(r.stderr).toContain("[data-expectations-failed]");
    expect(await readdir(dir)).not.toContain("runs");
  });

  it("trains when only warnings fail and keeps the results as validation.json in the run", async () => {
    const config = `${SUITE.replace("value_set: [biscoe, dream]", "value_set: [biscoe, dream, torgersen]")}${TRAINING}`;
    const dir = await repo(config);
    const r = await runCli(["train", "--runs-dir", "runs", "--run-id", "r1", "--no-progress"], { cwd: dir });
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const saved = ValidationReportSchema.parse(
      JSON.parse(await readFile(join(dir, "runs/r1/validation.json"), "utf8")),
    );
    expect(saved.success).toBe(true);
    expect(saved.results[3]).toMatchObject({ success: false, severity: "warning", where: { line: 10 } });
  });

  it("reads an HTTP source once: the rows it validates are the rows it trains on", async () => {
    await withPenguinsApi(async (port, rows, requests) => {
      const dir = await repo(`model: { name: penguins, target: species }
data:
  sources:
    - { kind: http, url: "http://127.0.0.1:${port}/penguins", records: $.items }
  expectations:
    - { expectation: expect_column_values_to_be_in_set, column: island, value_set: [biscoe, dream, torgersen] }
${TRAINING}`);
      const r = await runCli(["train", "--runs-dir", "runs", "--run-id", "h1", "--no-progress"], {
        cwd: dir,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(requests()).toBe(1);
      const saved = ValidationReportSchema.parse(
        JSON.parse(await readFile(join(dir, "runs/h1/validation.json"), "utf8")),
      );
      expect(saved.results[0]).toMatchObject({ success: true, unexpectedCount: 0 });
    });
  });

  it("streaming: reads an HTTP source once, validating in the pass that fits the transforms", async () => {
    await withPenguinsApi(async (port, rows, requests) => {
      const dir = await repo(`model: { name: penguins, target: species }
data:
  sources:
    - { kind: http, url: "http://127.0.0.1:${port}/penguins", records: $.items }
  streaming: { enabled: true, shuffleBuffer: 64 }
  expectations:
    - { expectation: expect_column_values_to_be_in_set, column: island, value_set: [biscoe, dream, torgersen] }
    - { expectation: expect_column_values_to_be_unique, column: body_mass_g, severity: warning }
${TRAINING}`);
      const r = await runCli(["train", "--runs-dir", "runs", "--run-id", "s1", "--no-progress"], {
        cwd: dir,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(requests()).toBe(1);
      const saved = ValidationReportSchema.parse(
        JSON.parse(await readFile(join(dir, "runs/s1/validation.json"), "utf8")),
      );
      expect(saved.results[0]).toMatchObject({ success: true, unexpectedCount: 0 });
      // Source rows of the repeated masses: the row in the API's response, 1-based.
      const repeated = saved.results[1]!;
      expect(repeated).toMatchObject({ success: false, severity: "warning", where: { line: 8 } });
      const first = rows.findIndex(
        (p) => rows.filter((q) => q.body_mass_g === p.body_mass_g && p.body_mass_g !== null).length > 1,
      );
      expect(repeated.unexpectedSample[0]).toMatchObject({ row: first + 1, value: rows[first]!.body_mass_g });
    });
  });

  it("streaming: a failed suite stops training before anything is written", async () => {
    const dir = await repo(
      `${SUITE.replace("data:\n", "data:\n  streaming: { enabled: true }\n")}${TRAINING}`,
    );
    const r = await runCli(["train", "--runs-dir", "runs", "--no-progress"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: \.github\/modelship\.yml:7:7: expect_column_values_to_be_in_set on 'island' failed \(observed 0\.\d+, \d+ unexpected values \([\d.]+%\)\); nothing was trained$/m,
    );
    expect(await readdir(dir)).not.toContain("runs");
  });
});

/** A loopback JSON API answering the penguins rows (the CSV files' columns, so the same transforms apply) under `$.items`. */
async function withPenguinsApi(
  body: (port: number, rows: Record<string, unknown>[], requests: () => number) => Promise<void>,
): Promise<void> {
  let requests = 0;
  const rows = PENGUINS.map((p) => Object.fromEntries(COLUMNS.map((c) => [c, p[c] ?? null])));
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items: rows }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  try {
    await body((server.address() as AddressInfo).port, rows, () => requests);
  } finally {
    server.close();
  }
}
