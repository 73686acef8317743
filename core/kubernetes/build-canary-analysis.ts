import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1";
import type { Config } from "../config/schema.ts";
import { namespaceOf, resolveImage } from "./kubernetes-inputs.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";
import { kubernetesNames, LABELS, labelValue } from "./kubernetes-names.ts";
import { validated } from "./validated.ts";

type Analysis = Config["deploy"]["analysis"];

/** The arguments the canary AnalysisTemplate takes; the Rollout fills them in. */
export const CANARY_ANALYSIS_ARGS = ["service", "namespace", "port", "model", "version"] as const;

/** Seconds between two measurements of each metric while a canary step runs. */
export const CANARY_ANALYSIS_INTERVAL_SECONDS = 30;

/**
 * The PromQL the analysis reads from the servers' own metrics, for one model version: the share
 * of inference answers that were 5xx, and the p95 and p99 latency in seconds. A ratio over no traffic and a
 * quantile over empty buckets yield no sample rather than NaN (`clamp_min`, `>= 0`).
 */
export function canaryQueries(window = "1m"): {
  errorRate: string;
  latencyP95: string;
  latencyP99: string;
} {
  const sel = 'model="{{args.model}}",version="{{args.version}}",route="infer"';
  const latency = (q: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(modelship_request_duration_seconds_bucket{${sel}}[${window}]))) >= 0`;
  return {
    errorRate: `(sum(rate(modelship_requests_total{${sel},code=~"5.."}[${window}])) or vector(0)) / clamp_min(sum(rate(modelship_requests_total{${sel}}[${window}])), 1e-9)`,
    latencyP95: latency(0.95),
    latencyP99: latency(0.99),
  };
}

/**
 * The AnalysisTemplate that runs in the background of every canary, A/B or shadow rollout: a Job
 * that sends real V2 inferences to the canary Service (`modelship probe`, the serving image) and
 * three Prometheus metrics over the new version's own answers, error rate, p95 and p99 latency, held to
 * `deploy.analysis`. Any failed measurement aborts the rollout: all traffic back to stable.
 */
export function buildCanaryAnalysis(
  ctx: BuildContext,
  opts: { model: ServedModel; analysis: Analysis },
): AnalysisTemplate {
  const a = opts.analysis;
  const q = canaryQueries();
  const interval = `${CANARY_ANALYSIS_INTERVAL_SECONDS}s`;
  const prometheus = (name: string, query: string, limit: number) => ({
    name,
    interval,
    initialDelay: interval,
    failureLimit: 0,
    successCondition: `len(result) == 0 || result[0] <= ${limit}`,
    provider: { prometheus: { address: ctx.kubernetes.prometheusUrl, query } },
  });
  return validated(
    new AnalysisTemplate({
      metadata: {
        name: kubernetesNames(opts.model.name).analysisCanary,
        namespace: namespaceOf(ctx),
        labels: {
          [LABELS.app]: "modelship",
          [LABELS.model]: labelValue(opts.model.name),
          [LABELS.environment]: labelValue(ctx.environment),
          [LABELS.managedBy]: "modelship",
        },
      },
      spec: {
        args: CANARY_ANALYSIS_ARGS.map((name) => ({ name })),
        metrics: [
          {
            name: "inference",
            interval: `${CANARY_ANALYSIS_INTERVAL_SECONDS * 2}s`,
            failureLimit: 0,
            provider: { job: { spec: probeJobSpec(ctx, opts.model, a) } },
          },
          prometheus("error-rate", q.errorRate, a.maxErrorRate),
          prometheus("latency-p95", q.latencyP95, a.maxLatencyP95Ms / 1000),
          prometheus("latency-p99", q.latencyP99, a.maxLatencyP99Ms / 1000),
        ],
      },
    }),
  );
}

/** The Job of the `inference` metric: one pod, no retries, the serving image's `probe` command. */
function probeJobSpec(ctx: BuildContext, model: ServedModel, a: Analysis) {
  return {
    backoffLimit: 0,
    activeDeadlineSeconds: 120,
    ttlSecondsAfterFinished: 600,
    template: {
      metadata: {
        labels: { [LABELS.app]: "modelship", "modelship.dev/role": "analysis" },
        // An Istio sidecar would outlive the probe and keep the Job from ever completing.
        annotations: { "sidecar.istio.io/inject": "false" },
      },
      spec: {
        restartPolicy: "Never",
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "probe",
            image: resolveImage(ctx, model),
            args: [
              "probe",
              "--url",
              "http://{{args.service}}.{{args.namespace}}.svc.cluster.local:{{args.port}}",
              "--model",
              "{{args.model}}",
              "--version",
              "{{args.version}}",
              "--requests",
              String(Math.max(1, a.smokeRequests)),
              "--max-error-rate",
              String(a.maxErrorRate),
              "--max-latency-p95-ms",
              String(a.maxLatencyP95Ms),
              "--max-latency-p99-ms",
              String(a.maxLatencyP99Ms),
            ],
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          },
        ],
      },
    },
  };
}
