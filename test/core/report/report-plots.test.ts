import { describe, expect, it } from "vitest";
import { compareRuns } from "../../../core/compare/compare-runs.ts";
import { renderComparisonMarkdown } from "../../../core/report/render-markdown.ts";

const history = { epochs: [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch })) };
const comparison = compareRuns({
  candidate: { label: "cand", metrics: { accuracy: 0.9 }, params: {}, history },
  gates: {},
  primary: "accuracy",
});

describe("report plots", () => {
  it("falls back to the Mermaid learning curves without images", () => {
    const md = renderComparisonMarkdown(comparison, { modelName: "m" });
    expect(md).toContain("```mermaid");
    expect(md).not.toContain("### Plots");
  });

  it("shows the images instead, keeping only https URLs and plain relative paths", () => {
    const md = renderComparisonMarkdown(comparison, {
      modelName: "m",
      plots: [
        { title: "Confusion matrix", url: "plots/confusion-matrix.png" },
        { title: "ROC", url: "https://github.com/o/r/blob/modelship-assets/pr-1/roc-curve.png?raw=true" },
        { title: "evil", url: "javascript:alert(1)" },
        { title: "up", url: "../secret.png" },
      ],
      explanation: {
        metric: "accuracy",
        repeats: 5,
        baseline: 0.9,
        rows: 10,
        seed: 1,
        features: [{ name: "bill_length", importance: 0.2, std: 0.01 }],
      },
    });
    expect(md).not.toContain("```mermaid");
    expect(md).toContain("![Confusion matrix](plots/confusion-matrix.png)");
    expect(md).toContain("![ROC](https://github.com/o/r/blob/modelship-assets/pr-1/roc-curve.png?raw=true)");
    expect(md).not.toContain("javascript:");
    expect(md).not.toContain("secret.png");
    expect(md).toContain("### What drives the model");
    expect(md).toContain("| bill\\_length | 0.2000 ± 0.0100 |");
  });

  it.each([
    [
      "an https SVG",
      "https://github.com/o/r/blob/c/pr-1/loss.svg?raw=true",
      "[![Loss](https://github.com/o/r/blob/c/pr-1/loss.png?raw=true)](https://github.com/o/r/blob/c/pr-1/loss.svg?raw=true)",
    ],
    [
      "a relative SVG",
      "plots/loss.svg",
      "[![Loss](https://github.com/o/r/blob/c/pr-1/loss.png?raw=true)](plots/loss.svg)",
    ],
    [
      "an unsafe link, dropped",
      "javascript:alert(1)",
      "\n\n![Loss](https://github.com/o/r/blob/c/pr-1/loss.png?raw=true)",
    ],
  ])("links each image to its SVG: %s", (_what, href, expected) => {
    const md = renderComparisonMarkdown(comparison, {
      modelName: "m",
      plots: [{ title: "Loss", url: "https://github.com/o/r/blob/c/pr-1/loss.png?raw=true", href }],
    });
    expect(md).toContain(expected);
    expect(md).not.toContain("javascript:");
  });
});
