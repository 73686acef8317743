import { beforeAll, describe, expect, it } from "vitest";
import { readRunDir, toRunSummary } from "../../../adapters/run-dir/read-run-dir.ts";
import { compareRuns, type Comparison, type RunSummary } from "../../../core/compare/compare-runs.ts";
import { MetricGateSchema } from "../../../core/config/schema.ts";
import {
  GITHUB_COMMENT_LIMIT,
  renderComparisonMarkdown,
  reportMarker,
} from "../../../core/report/render-markdown.ts";

const RUNS = "test/fixtures/runs";
const gates = {
  accuracy: MetricGateSchema.parse({ required: true, maxRegression: 0.01, min: 0.9 }),
  loss: MetricGateSchema.parse({ direction: "minimize", maxRelativeRegression: 0.05 }),
  f1: MetricGateSchema.parse({}),
};
const runUrl = "https://github.com/acme/iris/actions/runs/7011";

let baseline: RunSummary;
let candidate: RunSummary;
beforeAll(async () => {
  baseline = toRunSummary(await readRunDir(`${RUNS}/iris-baseline`), { label: "v1.2.0" });
  candidate = toRunSummary(await readRunDir(`${RUNS}/iris-candidate`));
});

describe("renderComparisonMarkdown", () => {
  it("renders a passing comparison of two real runs", () => {
    const c = compareRuns({ candidate, baseline, gates, primary: "accuracy" });
    const md = renderComparisonMarkdown(c, { modelName: "iris", runUrl });
    expect(md).toMatchSnapshot();
  });

  it("explains failed gates when the baseline is the better run", () => {
    const c = compareRuns({
      candidate: { ...baseline, label: "20261101-091502-3f2a1c" },
      baseline: { ...candidate, label: "v1.3.0" },
      gates,
      primary: "accuracy",
    });
    const md = renderComparisonMarkdown(c, { modelName: "iris" });
    expect(md).toMatchSnapshot();
    expect(md).toContain("**❌ Failed** (`gates-failed`): 3 of 3 gates failed.");
    expect(md).toContain("- **loss** (`regressed-relative`): got worse by 35.01%; at most 5% is allowed");
  });

  it("renders a first model with only the candidate's curves", () => {
    const c = compareRuns({ candidate, gates: { accuracy: gates.accuracy }, primary: "accuracy" });
    const md = renderComparisonMarkdown(c, { modelName: "iris" });
    expect(md).toContain("(`no-baseline-gates-passed`)");
    expect(md).toContain("has no baseline to compare with");
    expect(md).toContain("The line is the candidate");
    const firstChart = md.slice(md.indexOf("```mermaid"), md.indexOf("```", md.indexOf("```mermaid") + 3));
    expect(firstChart.match(/^ {4}line \[/gm)).toHaveLength(1);
  });

  it("draws one xychart per key metric, baseline line first", () => {
    const c = compareRuns({ candidate, baseline, gates, primary: "accuracy" });
    const md = renderComparisonMarkdown(c, { modelName: "iris" });
    const titles = [...md.matchAll(/^xychart-beta\n {4}title "(.+)"$/gm)].map((m) => m[1]);
    expect(titles).toEqual(["accuracy", "loss", "val_loss"]);
    expect(md).toContain("Line 1 (grey) is the baseline **v1.2.0**, line 2 (blue) is the candidate");
    // The baseline stopped at epoch 40 of 60: its line is shorter than the candidate's.
    const lines = [...md.matchAll(/^ {4}line \[(.*)\]$/gm)].map((m) => (m[1] ?? "").split(", ").length);
    expect(lines.slice(0, 2)).toEqual([40, 60]);
  });

  it("starts with the hidden marker so the comment can be found and updated", () => {
    const c = compareRuns({ candidate, baseline, gates });
    expect(renderComparisonMarkdown(c, { modelName: "iris" }).split("\n")[0]).toBe(
      "<!-- modelship:report model=iris -->",
    );
    expect(reportMarker("bad-->name")).toBe("<!-- modelship:report model=bad--%3Ename -->");
  });

  it("rejects a custom marker that could break out of the comment", () => {
    const c = compareRuns({ candidate, baseline, gates });
    expect(() =>
      renderComparisonMarkdown(c, { modelName: "iris", marker: "<!-- x --> @everyone <!-- -->" }),
    ).toThrow(/report marker/);
  });

  it("escapes hostile metric names, labels and params so they cannot inject Markdown, HTML or mentions", () => {
    const evil = "<script>x</script> --> @admin | `x`\n# heading";
    const c = compareRuns({
      candidate: { label: `@octocat -->`, metrics: { [evil]: 1, ok: 2 }, params: { [evil]: evil } },
      baseline: { label: "v1", metrics: { [evil]: 0.5, ok: 2 }, params: { [evil]: "old" } },
      gates: {},
    });
    const md = renderComparisonMarkdown(c, { modelName: "iris", title: "<b>@team</b>" });
    expect(md.match(/-->/g)).toHaveLength(1);
    expect(md).not.toContain("<script");
    expect(md).not.toContain("<b>");
    expect(md).not.toMatch(/@(?!&#8203;)/);
    expect(md).not.toMatch(/\n# heading/);
    const tableRow = md.split("\n").find((l) => l.includes("script") && l.startsWith("| "));
    expect(tableRow?.split(/(?<!\\)\|/).length).toBe(8);
  });

  it("drops a run link that is not a plain http(s) URL", () => {
    const c = compareRuns({ candidate, baseline, gates });
    expect(renderComparisonMarkdown(c, { modelName: "iris", runUrl: "javascript:alert(1)" })).not.toContain(
      "[run]",
    );
  });
});

describe("renderComparisonMarkdown size cap", () => {
  const many = (n: number, offset: number): Record<string, number> =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `metric_${String(i).padStart(5, "0")}_${"x".repeat(60)}`,
        i + offset,
      ]),
    );
  let huge: Comparison;
  beforeAll(() => {
    const metrics = many(5000, 0.5);
    huge = compareRuns({
      candidate: {
        label: "candidate",
        metrics: { ...metrics, accuracy: 0.8 },
        params: { p: many(3000, 1) },
        history: { epochs: [{ epoch: 1, loss: 1 }] },
      },
      baseline: {
        label: "v9.9.9",
        metrics: { ...many(5000, 0), accuracy: 0.9 },
        params: { p: many(3000, 2) },
      },
      gates: {
        accuracy: MetricGateSchema.parse({ maxRegression: 0.01 }),
        metric_04999_zzz: MetricGateSchema.parse({ required: true }),
      },
      primary: "accuracy",
    });
  });

  it("stays within GitHub's comment limit and keeps the marker, verdict and failed gates", () => {
    const md = renderComparisonMarkdown(huge, { modelName: "iris" });
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md.startsWith("<!-- modelship:report model=iris -->\n")).toBe(true);
    expect(md).toContain("**❌ Failed** (`gates-failed`): 2 of 2 gates failed.");
    expect(md).toContain("| **accuracy** ★ ↑ |");
    expect(md).toContain("metric\\_04999\\_zzz");
    expect(md).toMatch(
      /This report was shortened to fit GitHub's 65,536-character comment limit\. Left out: \d+ metric rows, learning curves, parameter changes, gate settings, candidate parameters\./,
    );
  });

  it.each([2_000, 10_000, 30_000])("honours a smaller limit of %i characters", (maxLength) => {
    const md = renderComparisonMarkdown(huge, { modelName: "iris", maxLength });
    expect(md.length).toBeLessThanOrEqual(maxLength);
    expect(md).toContain("(`gates-failed`)");
  });

  it("drops details before metric rows", () => {
    const small = compareRuns({
      candidate: { label: "c", metrics: { a: 1, b: 2 }, params: many(2000, 1) },
      baseline: { label: "b", metrics: { a: 1, b: 2 }, params: many(2000, 2) },
      gates: {},
    });
    const md = renderComparisonMarkdown(small, { modelName: "iris", maxLength: 5000 });
    expect(md).toContain("| a ↑ |");
    expect(md).toContain("| b ↑ |");
    expect(md).toContain("Left out: parameter changes, candidate parameters.");
    expect(md).not.toContain("<details>");
  });
});
