import { Gauge, Registry } from "prom-client";
import type { DriftReport } from "../../core/monitoring/detect-drift.ts";

/**
 * The drift report as Prometheus gauges, in the text exposition format (what node_exporter's
 * textfile collector reads from `*.prom` files):
 *   modelship_feature_drift{model,environment,feature}            1 drifted, 0 not
 *   modelship_feature_drift_score{model,environment,feature,test} the test's statistic (distance, D, χ², z)
 *   modelship_feature_drift_p_value{model,environment,feature,test} p-value tests only
 *   modelship_dataset_drift{model,environment}                    1 when the dataset drifted
 *   modelship_dataset_drift_share{model,environment}              share of drifted features
 *   modelship_drift_rows{model,environment,side}                  reference and current rows
 *   modelship_drift_last_run_timestamp_seconds{model,environment} when the report was made
 * The prediction's comparison is a feature named `<name> (prediction)`. A report with not enough
 * data exports the rows and the time only, so old verdicts are not repeated as if fresh.
 */
export async function renderDriftMetrics(opts: {
  report: DriftReport;
  model: string;
  environment: string;
  now: Date;
}): Promise<string> {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const feature = g(
    "modelship_feature_drift",
    "1 when the feature drifted in the last drift check, else 0.",
    ["model", "environment", "feature"],
  );
  const score = g(
    "modelship_feature_drift_score",
    "Statistic of the feature's drift test (a distance, KS D, chi-squared or z).",
    ["model", "environment", "feature", "test"],
  );
  const pValue = g(
    "modelship_feature_drift_p_value",
    "p-value of the feature's drift test (KS, chi-squared, z).",
    ["model", "environment", "feature", "test"],
  );
  const dataset = g(
    "modelship_dataset_drift",
    "1 when at least the configured share of features drifted, else 0.",
    ["model", "environment"],
  );
  const share = g(
    "modelship_dataset_drift_share",
    "Share of features that drifted in the last drift check.",
    ["model", "environment"],
  );
  const rows = g("modelship_drift_rows", "Rows compared in the last drift check.", [
    "model",
    "environment",
    "side",
  ]);
  const last = g(
    "modelship_drift_last_run_timestamp_seconds",
    "When the last drift check ran (Unix seconds).",
    ["model", "environment"],
  );
  const base = { model: opts.model, environment: opts.environment };
  const r = opts.report;
  rows.set({ ...base, side: "reference" }, r.rows.reference);
  rows.set({ ...base, side: "current" }, r.rows.current);
  last.set(base, Math.floor(opts.now.getTime() / 1000));
  if (r.status !== "not-enough-data") {
    dataset.set(base, r.drift ? 1 : 0);
    share.set(base, r.share);
    const columns = [
      ...r.features,
      ...(r.prediction ? [{ ...r.prediction, name: `${r.prediction.name} (prediction)` }] : []),
    ];
    for (const f of columns) {
      feature.set({ ...base, feature: f.name }, f.drifted ? 1 : 0);
      const labels = { ...base, feature: f.name, test: f.test };
      if (f.statistic !== null)
        score.set(labels, Number.isFinite(f.statistic) ? f.statistic : Number.MAX_VALUE);
      if (f.pValue !== null) pValue.set(labels, f.pValue);
    }
  }
  return registry.metrics();
}
