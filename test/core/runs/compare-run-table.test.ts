import { describe, expect, it } from "vitest";
import { compareRunTable } from "../../../core/runs/compare-run-table.ts";
import { renderRunTableMarkdown, renderRunTableText } from "../../../core/runs/render-run-table.ts";
import type { RunEntry } from "../../../core/runs/run-entry.ts";

const entry = (id: string, metrics: Record<string, number>, params: Record<string, unknown>): RunEntry => ({
  id,
  source: "local",
  path: id,
  status: "succeeded",
  model: "m",
  task: "classification",
  trainer: "builtin",
  startedAt: "2026-01-01T00:00:00Z",
  finishedAt: "2026-01-01T00:00:01Z",
  durationMs: 1000,
  metrics,
  params,
  tags: {},
});

const dir = (m: string) => (m.includes("loss") ? "minimize" : "maximize");

describe("compareRunTable", () => {
  const a = entry("a", { accuracy: 0.9, loss: 0.3 }, { lr: 0.01, optimizer: "adam", epochs: 10 });
  const b = entry("b", { accuracy: 0.95, loss: Number.NaN }, { lr: 0.01, optimizer: "sgd", epochs: 10 });
  const c = entry("c", { accuracy: 0.95 }, { lr: 0.1, epochs: 10 });

  it("marks the best finite value per metric (ties give several) and which params differ", () => {
    const t = compareRunTable([a, b, c], dir);
    expect(t.metrics).toEqual([
      { name: "accuracy", direction: "maximize", values: { a: 0.9, b: 0.95, c: 0.95 }, best: ["b", "c"] },
      { name: "loss", direction: "minimize", values: { a: 0.3, b: Number.NaN, c: null }, best: ["a"] },
    ]);
    expect(t.params).toEqual([
      { name: "epochs", values: { a: 10, b: 10, c: 10 }, differs: false },
      { name: "lr", values: { a: 0.01, b: 0.01, c: 0.1 }, differs: true },
      { name: "optimizer", values: { a: "adam", b: "sgd", c: null }, differs: true },
    ]);
  });

  it("renders Markdown with bold best values and escaped cells, and aligned text", () => {
    const evil = entry("d|x", { "acc<b>": 1 }, { "p|q": "@team" });
    const t = compareRunTable([a, evil], dir);
    const md = renderRunTableMarkdown(t);
    expect(md).toContain("acc&lt;b&gt;");
    expect(md).toContain("@&#8203;team");
    expect(md).not.toContain("| d|x");
    expect(renderRunTableText(compareRunTable([a, b], dir))).toBe(
      [
        "run  accuracy  loss     optimizer",
        "a    0.9000    0.3000*  adam",
        "b    0.9500*   NaN      sgd",
        "* best value of the metric",
        "2 parameter(s) are the same in every run (--json lists them)",
        "",
      ].join("\n"),
    );
  });
});
