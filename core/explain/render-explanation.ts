import { escapeMarkdown } from "../report/escape-markdown.ts";
import { formatNumber } from "../report/format-number.ts";
import { metricDisplayName } from "../report/metric-names.ts";
import type { Explanation } from "./permutation-importance.ts";

const MAX_FEATURES = 30;

/** One sentence saying what the importance numbers mean. */
export function describeExplanation(e: Explanation): string {
  return `Permutation importance: how much ${metricDisplayName(e.metric)} gets worse when one feature's values are shuffled across the ${e.rows} validation rows (${e.repeats} shuffles each; mean ± standard deviation). 0 means the model does not use the feature.`;
}

/** Markdown table of the features, most important first, with a bar for the share of the largest drop. */
export function renderExplanationMarkdown(e: Explanation): string {
  const top = Math.max(0, ...e.features.map((f) => f.importance));
  const rows = e.features.slice(0, MAX_FEATURES).map((f) => {
    const share = top > 0 ? Math.max(0, f.importance) / top : 0;
    return `| ${escapeMarkdown(f.name)} | ${formatNumber(f.importance)} ± ${formatNumber(f.std)} | ${"█".repeat(Math.round(share * 20)) || "·"} |`;
  });
  const more =
    e.features.length > MAX_FEATURES
      ? [``, `_${e.features.length - MAX_FEATURES} more features in explanation.json._`]
      : [];
  return [
    describeExplanation(e),
    "",
    `| Feature | Drop in ${escapeMarkdown(metricDisplayName(e.metric))} | |`,
    "| --- | ---: | --- |",
    ...rows,
    ...more,
    "",
  ].join("\n");
}

/** Aligned text for `modelship explain`. */
export function renderExplanationText(e: Explanation): string {
  const width = Math.max(7, ...e.features.map((f) => f.name.length));
  return `${[
    `${e.metric} on ${e.rows} validation rows: ${formatNumber(e.baseline)}; drop when a feature is shuffled (${e.repeats} repeats):`,
    ...e.features.map(
      (f) => `  ${f.name.padEnd(width)}  ${formatNumber(f.importance).padStart(9)} ± ${formatNumber(f.std)}`,
    ),
  ].join("\n")}\n`;
}
