import { describe, expect, it } from "vitest";
import { compareRuns } from "../../../core/compare/compare-runs.ts";
import { MetricGateSchema } from "../../../core/config/schema.ts";
import { renderComparisonJson } from "../../../core/report/render-json.ts";
import { renderComparisonText } from "../../../core/report/render-text.ts";

const comparison = compareRuns({
  candidate: {
    label: "run-b",
    metrics: { accuracy: 0.95, loss: NaN, "very.long.metric.name": 12345.678 },
    params: { lr: 0.001, depth: 3 },
  },
  baseline: {
    label: "v1.0.0",
    metrics: { accuracy: 0.9, loss: 0.2, "very.long.metric.name": 1 },
    params: { lr: 0.01 },
  },
  gates: {
    accuracy: MetricGateSchema.parse({ minImprovement: 0.01 }),
    loss: MetricGateSchema.parse({ direction: "minimize" }),
  },
  primary: "accuracy",
});

describe("renderComparisonText", () => {
  const text = renderComparisonText(comparison, { modelName: "iris" });

  it("states the verdict and what was compared", () => {
    expect(text.split("\n").slice(0, 2)).toEqual([
      "Modelship compare iris: FAILED (gates-failed)",
      "candidate run-b vs baseline v1.0.0",
    ]);
    expect(text).toContain("Failed gates:\n  loss: the candidate's value is NaN [not-a-number]");
    expect(text).toContain("lr     0.01  ->  0.001  (changed)");
  });

  it("aligns columns: every number column ends at the same offset", () => {
    const lines = text.split("\n");
    const header = lines.findIndex((l) => l.startsWith("Metric"));
    const table = lines.slice(header, header + 4);
    const end = (l: string, word: string): number => l.indexOf(word) + word.length;
    const candidateEnd = end(table[0] ?? "", "Candidate");
    expect(table.slice(1).map((l) => l.split(/\s{2,}/)[2])).toEqual(["0.9500", "NaN", "12345.6780"]);
    for (const line of table.slice(1)) {
      const cell = line.split(/\s{2,}/)[2] ?? "";
      expect(line.indexOf(cell, line.indexOf(" ")) + cell.length).toBe(candidateEnd);
    }
    expect(text).not.toMatch(/[|*`]{2}|\| /);
  });

  it("strips terminal control sequences from run-provided names", () => {
    const c = compareRuns({
      candidate: { label: "x\u001b]0;pwned\u0007", metrics: { "a\u001b[2Jb": 1 }, params: {} },
      gates: {},
    });
    expect(renderComparisonText(c)).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});

describe("renderComparisonJson", () => {
  const json = renderComparisonJson(comparison, { modelName: "iris" });
  const doc = JSON.parse(json) as Record<string, unknown>;

  it("is versioned and has a stable top-level shape", () => {
    expect(Object.keys(doc)).toEqual([
      "schemaVersion",
      "model",
      "passed",
      "reason",
      "candidate",
      "baseline",
      "primary",
      "metrics",
      "failed",
      "paramsDiff",
    ]);
    expect(doc).toMatchObject({
      schemaVersion: 1,
      model: "iris",
      passed: false,
      reason: "gates-failed",
      candidate: { label: "run-b", runUrl: null },
      baseline: { label: "v1.0.0", runUrl: null },
      primary: { name: "accuracy", change: "improved", improved: true },
    });
  });

  it("spells out non-finite values instead of writing null", () => {
    const metrics = doc.metrics as { name: string; candidate: unknown; delta: unknown; reason: string }[];
    expect(metrics.find((m) => m.name === "loss")).toMatchObject({
      candidate: "NaN",
      delta: null,
      reason: "not-a-number",
    });
  });

  it("lists parameter changes with absent sides as null", () => {
    expect(doc.paramsDiff).toEqual([
      { name: "depth", baseline: null, candidate: 3, change: "added" },
      { name: "lr", baseline: 0.01, candidate: 0.001, change: "changed" },
    ]);
  });

  it("is deterministic", () => {
    expect(renderComparisonJson(comparison, { modelName: "iris" })).toBe(json);
    expect(json.endsWith("}\n")).toBe(true);
  });
});
