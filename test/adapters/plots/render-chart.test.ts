import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderChart } from "../../../adapters/plots/render-chart.ts";
import { readRunPlots } from "../../../adapters/plots/read-run-plots.ts";
import { writePlots } from "../../../adapters/plots/write-run-plots.ts";
import { confusionCounts } from "../../../core/report/charts/classification-charts.ts";
import { runCharts } from "../../../core/report/charts/run-charts.ts";
import type { History } from "../../../core/run/run-record.ts";
import type { ValidationPredictions } from "../../../core/run/validation-predictions.ts";

const history: History = {
  epochs: Array.from({ length: 8 }, (_, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    val_loss: 1.2 / (i + 1),
    accuracy: 0.5 + i * 0.05,
  })),
};
const baselineHistory: History = { epochs: history.epochs.map((e) => ({ ...e, loss: e.loss! * 1.5 })) };
const classified: ValidationPredictions = {
  schemaVersion: 1,
  task: "classification",
  labels: ["Adelie", "Chinstrap", "Gentoo"],
  truth: [0, 0, 1, 1, 2, 2, 0, 2],
  probabilities: [
    [0.8, 0.1, 0.1],
    [0.6, 0.3, 0.1],
    [0.2, 0.7, 0.1],
    [0.5, 0.4, 0.1],
    [0.1, 0.1, 0.8],
    [0.1, 0.2, 0.7],
    [0.9, 0.05, 0.05],
    [0.3, 0.3, 0.4],
  ],
};
const regressed: ValidationPredictions = {
  schemaVersion: 1,
  task: "regression",
  truth: [1, 2, 3, 4, 5],
  predictions: [1.1, 1.8, 3.3, 3.9, 5.4],
};

/** The SVG's own size and the PNG's size from its IHDR chunk. */
function sizes(svg: string, png: Uint8Array) {
  const m = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { svg: [Number(m[1]), Number(m[2])], png: [view.getUint32(16), view.getUint32(20)] };
}
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe("renderChart", () => {
  const classCharts = runCharts({
    candidate: { label: "cand", history, predictions: classified },
    baseline: { label: "base", history: baselineHistory, predictions: classified },
  });
  const regCharts = runCharts({ candidate: { label: "cand", history, predictions: regressed } });

  it("plans the charts each task supports", () => {
    expect(classCharts.map((c) => c.id)).toEqual([
      "learning-curves-loss",
      "learning-curves-metrics",
      "confusion-matrix",
      "class-metrics",
      "roc-curve",
      "pr-curve",
    ]);
    expect(regCharts.map((c) => c.id)).toEqual([
      "learning-curves-loss",
      "learning-curves-metrics",
      "residuals",
      "predicted-vs-actual",
    ]);
  });

  it.each([
    ["learning-curves-loss", ["mark-line"], ["cand", "base", "val_loss", "(log scale)"]],
    ["confusion-matrix", ["mark-rect", "mark-text"], ["Adelie", "Gentoo", "predicted", "actual"]],
    ["class-metrics", ["mark-rect"], ["precision", "recall"]],
    ["roc-curve", ["mark-line"], ["AUC", "false positive rate"]],
    ["pr-curve", ["mark-line"], ["AP", "recall"]],
  ])("%s draws a valid SVG and a PNG twice its size", async (id, marks, texts) => {
    const r = await renderChart(classCharts.find((c) => c.id === id)!);
    expect(r.svg.startsWith("<svg")).toBe(true);
    expect(r.svg.trimEnd().endsWith("</svg>")).toBe(true);
    for (const m of marks) expect(r.svg).toContain(`class="${m} role-mark`);
    for (const t of texts) expect(r.svg).toContain(t);
    expect([...r.png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const s = sizes(r.svg, r.png);
    expect(s.png).toEqual([s.svg[0]! * 2, s.svg[1]! * 2]);
    expect(r.width).toBe(s.png[0]);
  });

  it("the confusion matrix shows every count, candidate next to baseline", async () => {
    expect(confusionCounts(classified as Extract<ValidationPredictions, { task: "classification" }>)).toEqual(
      [
        [3, 0, 0],
        [1, 1, 0],
        [0, 0, 3],
      ],
    );
    const r = await renderChart(classCharts.find((c) => c.id === "confusion-matrix")!);
    const numbers = [...r.svg.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((m) => Number(m[1])).sort();
    expect(numbers).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3]);
    expect(r.svg).toContain(">cand<");
    expect(r.svg).toContain(">base<");
  });

  it.each([
    ["residuals", ["mark-symbol", "mark-rule"]],
    ["predicted-vs-actual", ["mark-symbol", "mark-line"]],
  ])("regression: %s", async (id, marks) => {
    const r = await renderChart(regCharts.find((c) => c.id === id)!);
    for (const m of marks) expect(r.svg).toContain(`class="${m} role-mark`);
    // One symbol per validation row.
    expect(
      r.svg.match(/<path[^>]*transform="translate\([^"]*\)"[^>]*d="M[^"]*"/g)?.length,
    ).toBeGreaterThanOrEqual(5);
  });
});

describe("writePlots", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ms-plots-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it("writes an SVG and a PNG per chart under plots/", async () => {
    const written = await writePlots(dir, { candidate: { label: "r", predictions: regressed } });
    expect(written.map((w) => w.png)).toEqual(["plots/residuals.png", "plots/predicted-vs-actual.png"]);
    expect((await readdir(join(dir, "plots"))).sort()).toEqual([
      "index.json",
      "predicted-vs-actual.png",
      "predicted-vs-actual.svg",
      "residuals.png",
      "residuals.svg",
    ]);
    expect((await readFile(join(dir, "plots/residuals.svg"), "utf8")).startsWith("<svg")).toBe(true);
    expect(await readRunPlots(dir)).toEqual(written);
  });

  it("reads no plots from a damaged index", async () => {
    const other = await mkdtemp(join(tmpdir(), "ms-plots-bad-"));
    try {
      await mkdir(join(other, "plots"));
      await writeFile(
        join(other, "plots/index.json"),
        '[{"id":"../x","title":"t","svg":"../../etc","png":"p"}]',
      );
      expect(await readRunPlots(other)).toEqual([]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
