import { z } from "zod";
import { AbSchema, CanarySchema, ShadowSchema, TrafficStrategySchema } from "./traffic-schema.ts";
import { ExpectationSchema } from "../data/expectations/expectation-schema.ts";
import { DataLoadingSchema, DataSourceConfigSchema } from "./data-sources-schema.ts";

/** Gate applied to one metric when a candidate is compared with a baseline. */
export const MetricGateSchema = z
  .object({
    direction: z
      .enum(["maximize", "minimize"])
      .default("maximize")
      .describe("Whether larger (maximize) or smaller (minimize) values are better."),
    required: z
      .boolean()
      .default(false)
      .describe("Fail the comparison when the candidate does not report this metric."),
    minImprovement: z
      .number()
      .optional()
      .describe(
        "Candidate must beat the baseline by at least this much (absolute, in the better direction).",
      ),
    maxRegression: z
      .number()
      .nonnegative()
      .optional()
      .describe("Largest allowed absolute change in the worse direction."),
    maxRelativeRegression: z
      .number()
      .nonnegative()
      .optional()
      .describe("Largest allowed relative change in the worse direction (0.02 = 2%)."),
    min: z.number().optional().describe("Candidate value must be at least this (absolute threshold)."),
    max: z.number().optional().describe("Candidate value must be at most this (absolute threshold)."),
  })
  .strict();
export type MetricGate = z.infer<typeof MetricGateSchema>;

export const TransformSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("standardize"), column: z.string().min(1) }).strict(),
  z.object({ op: z.literal("minmax"), column: z.string().min(1) }).strict(),
  z.object({ op: z.literal("onehot"), column: z.string().min(1) }).strict(),
  z
    .object({
      op: z.literal("impute"),
      column: z.string().min(1),
      strategy: z.enum(["mean", "median", "most_frequent", "constant"]).default("mean"),
      value: z.union([z.number(), z.string()]).optional().describe("Fill value when strategy is constant."),
    })
    .strict(),
]);
export type Transform = z.infer<typeof TransformSchema>;

/** ONNX parity bound defaults: float32 rounding of a small MLP, with room for other kernels' sums. */
export const PARITY_DEFAULTS = { rtol: 1e-4, atol: 1e-5 } as const;

export const LayerSchema = z
  .object({
    units: z.number().int().positive().max(65536),
    activation: z.enum(["relu", "tanh", "sigmoid", "linear", "elu", "selu"]).default("relu"),
    dropout: z.number().min(0).max(0.95).default(0),
  })
  .strict();
export type Layer = z.infer<typeof LayerSchema>;

/** Learning-rate schedules; defaults are PyTorch's StepLR / CosineAnnealingLR and Keras' ReduceLROnPlateau. */
export const LrScheduleSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("step"),
      stepSize: z.number().int().positive().default(10).describe("Epochs between two decays."),
      gamma: z.number().positive().max(1).default(0.1).describe("Factor applied at each decay."),
    })
    .strict(),
  z
    .object({
      type: z.literal("cosine"),
      minLearningRate: z.number().nonnegative().default(0),
      periodEpochs: z
        .number()
        .int()
        .positive()
        .optional()
        .describe("Epochs from the base rate down to minLearningRate (default: train.params.epochs)."),
    })
    .strict(),
  z
    .object({
      type: z.literal("plateau"),
      monitor: z.string().default("val_loss"),
      factor: z.number().positive().lt(1).default(0.1),
      patience: z.number().int().nonnegative().default(10),
      minDelta: z.number().nonnegative().default(0.0001),
      cooldown: z.number().int().nonnegative().default(0),
      minLearningRate: z.number().nonnegative().default(0),
    })
    .strict(),
]);
export type LrSchedule = z.infer<typeof LrScheduleSchema>;

export const TrainParamsSchema = z
  .object({
    layers: z.array(LayerSchema).default([{ units: 16, activation: "relu", dropout: 0 }]),
    optimizer: z.enum(["adam", "sgd", "rmsprop", "adagrad"]).default("adam"),
    learningRate: z.number().positive().max(10).default(0.01),
    epochs: z.number().int().positive().max(100000).default(50),
    batchSize: z
      .number()
      .int()
      .positive()
      .max(1 << 20)
      .default(32),
    seed: z.number().int().nonnegative().default(42),
    earlyStopping: z
      .object({
        monitor: z.string().default("val_loss"),
        patience: z.number().int().nonnegative().default(10),
        minDelta: z.number().nonnegative().default(0),
      })
      .strict()
      .optional(),
    accumulateSteps: z
      .number()
      .int()
      .positive()
      .max(4096)
      .optional()
      .describe(
        "Gradient accumulation: apply the optimizer once per this many batches of batchSize rows (effective batch batchSize × accumulateSteps, memory of one batch). Default 1.",
      ),
    lrSchedule: LrScheduleSchema.optional().describe(
      "Learning-rate schedule over epochs; the rate of each epoch is recorded in history.json as `lr`.",
    ),
    classWeights: z
      .union([z.literal("balanced"), z.record(z.string(), z.number().positive())])
      .optional()
      .describe(
        "Classification: weight each row's loss by its label's weight; `balanced` is rows / (classes × rows of the label). Labels left out weigh 1.",
      ),
  })
  .strict();
export type TrainParams = z.infer<typeof TrainParamsSchema>;

/** One tunable parameter: a numeric range (optionally integer / log-scaled) or a list of values. */
export const SearchDimensionSchema = z.union([
  z
    .object({
      min: z.number(),
      max: z.number(),
      integer: z.boolean().default(false),
      log: z.boolean().default(false).describe("Sample on a log scale in sweeps."),
    })
    .strict()
    .refine((d) => d.min <= d.max, "min must not be greater than max"),
  z.object({ values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }).strict(),
]);
export type SearchDimension = z.infer<typeof SearchDimensionSchema>;

export const PermissionLevelSchema = z.enum(["read", "triage", "write", "maintain", "admin"]);
export type PermissionLevel = z.infer<typeof PermissionLevelSchema>;

/** Dynamic batching of every inference server: `modelship serve`, local slots and Kubernetes pods. */
export const ServeBatchingSchema = z
  .object({
    maxBatchRows: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(64)
      .describe(
        "Most rows concurrent requests to one model are stacked into for one run; 1 turns stacking off.",
      ),
    maxQueueDelayUs: z
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(0)
      .describe(
        "How long, in microseconds, the first queued request waits for others to stack with (rounded up to whole milliseconds); 0 waits for none.",
      ),
    preferredBatchRows: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(1 << 20),
      )
      .default([])
      .describe(
        "Row counts dispatched without waiting out maxQueueDelayUs once queued; empty means a full maxBatchRows.",
      ),
    inferenceThread: z
      .enum(["main", "worker"])
      .default("main")
      .describe(
        "Where onnxruntime's runs happen: on the server's event loop (main) or in a worker thread (worker). Which is faster depends on the model; measure with `npm run bench:batch` before switching.",
      ),
  })
  .strict()
  .refine((b) => b.preferredBatchRows.every((r) => r <= b.maxBatchRows), {
    message: "every preferredBatchRows entry must be at most maxBatchRows",
    path: ["preferredBatchRows"],
  });
export type ServeBatching = z.infer<typeof ServeBatchingSchema>;

export const KubernetesSchema = z
  .object({
    namespace: z.string().default("default"),
    image: z
      .string()
      .refine(
        (s) => !/\{(model|version)\}/.test(s),
        "is the one serving image every version runs (the fetch-model init container brings the version); a per-version image template with {model}/{version} goes in deploy.kubernetes.versionImage",
      )
      .default("ghcr.io/OWNER/modelship-serve:latest")
      .describe(
        "The one serving image every version runs (`modelship serve`); an init container fetches the version from the registry and verifies its digests.",
      ),
    versionImage: z
      .string()
      .refine((s) => s.includes("{version}"), "must contain {version}, e.g. ghcr.io/acme/iris:{version}")
      .nullable()
      .default(null)
      .describe(
        "Opt-in fallback for clusters that cannot reach the registry: an image per version ({model} and {version} filled in) that carries the model at /models/model. Used only when a deploy knows no registry the pods can fetch from; null refuses such a deploy (model-source-missing).",
      ),
    replicas: z.number().int().positive().default(2),
    port: z.number().int().positive().default(8080),
    resources: z
      .object({
        cpu: z.string().default("500m"),
        memory: z.string().default("512Mi"),
        gpu: z.number().int().nonnegative().default(0).describe("nvidia.com/gpu per pod."),
      })
      .strict()
      .prefault({}),
    autoscaling: z
      .object({
        enabled: z.boolean().default(true),
        minReplicas: z.number().int().positive().default(2),
        maxReplicas: z.number().int().positive().default(10),
        metric: z
          .enum(["cpu", "requests-per-second"])
          .default("cpu")
          .describe(
            "What the autoscaler reads: cpu (the metrics-server every cluster has) or requests-per-second (needs prometheus-adapter with the rule in the Helm chart).",
          ),
        targetCpuUtilization: z.number().int().min(1).max(100).default(70),
        targetRequestsPerSecond: z.number().positive().default(100),
      })
      .strict()
      .prefault({}),
    minAvailable: z.number().int().nonnegative().default(1).describe("PodDisruptionBudget minAvailable."),
    argoRollouts: z
      .boolean()
      .default(false)
      .describe("Emit an Argo Rollouts Rollout (deploy.strategy as its steps) instead of two Deployments."),
    trafficRouting: z
      .enum(["service", "istio"])
      .default("service")
      .describe(
        "How traffic is split between versions: service (replica-weighted Services) or istio (a VirtualService; needed by shadow and by A/B's header routing).",
      ),
    istio: z
      .object({
        gateways: z
          .array(z.string().min(1))
          .default([])
          .describe("Istio Gateways the VirtualService binds to (empty: the mesh only)."),
        hosts: z
          .array(z.string().min(1))
          .default([])
          .describe("Extra hosts the VirtualService answers for, besides the Service."),
      })
      .strict()
      .prefault({}),
    prometheusUrl: z
      .string()
      .url()
      .default("http://prometheus-operated.monitoring.svc:9090")
      .describe("Prometheus the Argo Rollouts analysis reads the servers' error rate and latency from."),
    predictionLog: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Serving pods log predictions (as monitoring.* says) under /var/lib/modelship/predictions, one folder per pod.",
          ),
        claimName: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$/, "a PersistentVolumeClaim name (a DNS subdomain)")
          .optional()
          .describe(
            "PersistentVolumeClaim the pods log into, so logs outlive pods (ReadWriteMany when pods span nodes); without it, an emptyDir of maxLogMB + 2 × rotateMB MiB per pod.",
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const GitHubSchema = z
  .object({
    trainWorkflow: z
      .string()
      .default("modelship-train.yml")
      .describe("Workflow file the App dispatches for training."),
    sweepWorkflow: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+\.ya?ml$/,
        "a workflow file name in .github/workflows, e.g. modelship-sweep.yml",
      )
      .default("modelship-sweep.yml")
      .describe("Workflow file the App dispatches for `/sweep` (the study matrix)."),
    deployWorkflow: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+\.ya?ml$/,
        "a workflow file name in .github/workflows, e.g. modelship-deploy.yml",
      )
      .default("modelship-deploy.yml")
      .describe(
        "Workflow file that runs on `deployment` events; the App refuses to create a deployment when it is missing from the default branch.",
      ),
    artifactName: z.string().default("modelship-run").describe("Prefix of the training run's artifact name."),
    trainOnPush: z
      .boolean()
      .default(true)
      .describe("Dispatch training when a push to a pull request touches `paths`."),
    paths: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Globs that trigger training on push; empty means data.source files, the config and any code.",
      ),
    allowForks: z
      .boolean()
      .default(false)
      .describe(
        "Allow /train on pull requests from forks (bound to the head SHA, needs an approving review).",
      ),
    appSlug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,33}$/, "the App's slug, e.g. modelship")
      .default("modelship")
      .describe(
        "Slug of the GitHub App that runs Modelship: versions and deployments are trusted only when `<slug>[bot]` (or, for versions, `github-actions[bot]`) created them.",
      ),
    permissions: z
      .object({
        train: PermissionLevelSchema.default("write"),
        compare: PermissionLevelSchema.default("write"),
        sweep: PermissionLevelSchema.default("write"),
        deploy: PermissionLevelSchema.default("maintain"),
        rollback: PermissionLevelSchema.default("maintain"),
        promote: PermissionLevelSchema.default("maintain"),
        lock: PermissionLevelSchema.default("maintain"),
        unlock: PermissionLevelSchema.default("maintain"),
        "ab-report": PermissionLevelSchema.default("read"),
        help: PermissionLevelSchema.default("read"),
      })
      .strict()
      .prefault({})
      .describe("Minimum repository permission per slash command."),
  })
  .strict();

/** `monitoring.drift`: how `modelship drift` and the drift workflow judge current data (Evidently's defaults). */
export const DriftConfigSchema = z
  .object({
    minRows: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe("Fewer current rows than this is reported as not enough data instead of a verdict."),
    datasetShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe("The dataset drifted when at least this share of its features drifted."),
    workflow: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]+\.ya?ml$/,
        "a workflow file name in .github/workflows, e.g. modelship-drift.yml",
      )
      .default("modelship-drift.yml")
      .describe("Workflow file whose runs upload drift reports; the App turns them into the drift issue."),
  })
  .strict();

/** `monitoring`: what inference servers log about their traffic, and how drift is judged. */
export const MonitoringSchema = z
  .object({
    sampleRate: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe("Share of inferences written to the prediction log, 0 to 1; 0 turns the log off."),
    maxLogMB: z
      .number()
      .min(1)
      .default(100)
      .describe(
        "Most megabytes (MiB) one server's prediction log folder holds; the oldest files are deleted to stay under it.",
      ),
    rotateMB: z
      .number()
      .min(0.01)
      .default(10)
      .describe("Size in MiB at which a prediction log file is closed and the next one started."),
    maxRecordKB: z
      .number()
      .min(1)
      .max(1024)
      .default(64)
      .describe(
        "Requests with bodies over this many KiB (and records that would come out larger) are logged as a summary {rows, bytes}.",
      ),
    drift: DriftConfigSchema.prefault({}),
    retrainOnDrift: z
      .boolean()
      .default(false)
      .describe(
        "When a drift check finds dataset drift, the App also dispatches the training workflow on the default branch (trigger `drift`); the candidate pull request links the drift issue.",
      ),
  })
  .strict()
  .refine((m) => m.rotateMB <= m.maxLogMB, {
    message: "rotateMB must be at most maxLogMB",
    path: ["rotateMB"],
  });
export type Monitoring = z.infer<typeof MonitoringSchema>;

/** `data.streaming`: train from the snapshot on disk in batches instead of holding every row. */
export const DataStreamingSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Built-in trainer: stream batches from the data snapshot through a seeded shuffle buffer, so data larger than memory trains. The split is decided per row by a seeded hash (a different split from the in-memory one). With train.command: the expectations and the drift profile read the snapshot without holding its rows.",
      ),
    shuffleBuffer: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe(
        "Rows held in the shuffle buffer (tf.data semantics); at least the row count means a full shuffle.",
      ),
    sampleRows: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(2_000)
      .describe(
        "Rows kept in memory for what needs rows rather than batches: the ONNX parity check, permutation importance and validation predictions (validation rows), and the drift reference profile (training rows; with train.command, rows of the whole snapshot).",
      ),
  })
  .strict();
export type DataStreaming = z.infer<typeof DataStreamingSchema>;

export const ConfigSchema = z
  .object({
    version: z.literal(1).default(1).describe("Config format version."),
    model: z
      .object({
        name: z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9._-]{0,62}$/,
            "lower-case letters, digits, '.', '_' or '-', at most 63 characters",
          )
          .default("model"),
        task: z.enum(["classification", "regression"]).default("classification"),
        features: z
          .array(z.string().min(1))
          .default([])
          .describe("Input columns; empty means every column except the target."),
        target: z.string().min(1).default("label"),
      })
      .strict()
      .prefault({}),
    data: z
      .object({
        source: z
          .array(
            z
              .string()
              .min(1)
              .refine(
                (s) => !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(s),
                "data.source lists files in the repository; a URL or database goes in data.sources (kind: http, postgres)",
              ),
          )
          .default([])
          .describe("CSV, JSON or JSON-lines files, relative to the repository root."),
        format: z.enum(["auto", "csv", "json", "jsonl"]).default("auto"),
        sources: z
          .array(DataSourceConfigSchema)
          .default([])
          .describe(
            "Sources by kind (file, http, sqlite, postgres), read after data.source; rows are concatenated.",
          ),
        loading: DataLoadingSchema.prefault({}),
        validationSplit: z.number().gt(0).lt(1).default(0.2),
        seed: z.number().int().nonnegative().default(42),
        streaming: DataStreamingSchema.prefault({}),
        transforms: z.array(TransformSchema).default([]),
        expectations: z
          .array(ExpectationSchema)
          .default([])
          .describe(
            "Checks on the data in Great Expectations' vocabulary, run by `modelship data validate` and before every training run.",
          ),
        target: z
          .object({
            standardize: z
              .boolean()
              .optional()
              .describe(
                "Regression: train on (y - mean) / std of the training split and answer in the target's own units. Default: on for regression.",
              ),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    train: z
      .object({
        command: z
          .string()
          .min(1)
          .optional()
          .describe("Run this program instead of the built-in trainer, e.g. `python train.py`."),
        outputs: z
          .object({
            metrics: z.string().default("metrics.json"),
            history: z.string().default("history.json"),
            model: z.string().default("model.onnx"),
          })
          .strict()
          .prefault({}),
        runner: z
          .object({ labels: z.array(z.string().min(1)).default(["self-hosted", "gpu"]) })
          .strict()
          .prefault({}),
        params: TrainParamsSchema.prefault({}),
        search: z
          .record(z.string(), SearchDimensionSchema)
          .default({})
          .describe(
            "Parameters that `/train key=value` and sweeps may set, each with its bounds (dotted names such as earlyStopping.patience).",
          ),
        timeoutMinutes: z.number().positive().default(360),
        parity: z
          .object({
            rtol: z
              .number()
              .nonnegative()
              .default(PARITY_DEFAULTS.rtol)
              .describe("Relative part of the ONNX parity bound: |onnx - tfjs| <= atol + rtol * |tfjs|."),
            atol: z
              .number()
              .nonnegative()
              .default(PARITY_DEFAULTS.atol)
              .describe("Absolute part of the ONNX parity bound."),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        primary: z
          .string()
          .min(1)
          .optional()
          .describe("Metric shown first and used for automatic version bumps."),
        gates: z.record(z.string(), MetricGateSchema).default({}),
      })
      .strict()
      .prefault({}),
    registry: z
      .object({
        backend: z.enum(["git"]).default("git"),
        tagFormat: z
          .string()
          .refine((s) => s.includes("{version}"), "must contain {version}")
          .default("model/{name}/v{version}"),
        bump: z.enum(["auto", "major", "minor", "patch"]).default("auto"),
      })
      .strict()
      .prefault({}),
    github: GitHubSchema.prefault({}),
    serve: z
      .object({ batching: ServeBatchingSchema.prefault({}) })
      .strict()
      .prefault({})
      .describe("Inference server settings shared by `modelship serve`, local slots and Kubernetes pods."),
    deploy: z
      .object({
        target: z.enum(["local", "kubernetes"]).default("local"),
        strategy: TrafficStrategySchema.default("blue-green"),
        canary: CanarySchema.prefault({}),
        ab: AbSchema.prefault({}),
        shadow: ShadowSchema.prefault({}),
        environment: z.string().default("production"),
        port: z.number().int().min(0).max(65535).default(8080),
        handoff: z
          .boolean()
          .default(true)
          .describe(
            "Local target: in the steady state (one version live, nothing moving) pass client connections to the live slot's process instead of proxying each request. false keeps the router on every request.",
          ),
        health: z
          .object({
            readyTimeoutSeconds: z.number().positive().default(60),
            intervalMs: z.number().int().positive().default(200),
          })
          .strict()
          .prefault({}),
        analysis: z
          .object({
            smokeRequests: z.number().int().nonnegative().default(20),
            maxErrorRate: z.number().min(0).max(1).default(0),
            maxLatencyP95Ms: z.number().positive().default(250),
            maxLatencyP99Ms: z
              .number()
              .positive()
              .default(1000)
              .describe(
                "Largest p99 latency (ms) of the new version's answers in each analysis, next to maxLatencyP95Ms: catches a slow tail the p95 hides. Judged locally and by the Argo Rollouts AnalysisTemplate.",
              ),
            minAgreement: z
              .number()
              .min(0)
              .max(1)
              .default(0.8)
              .describe(
                "Least share of the model's reference rows on which the new version must answer as the live one does (same label; regression: within agreementTolerance). 0 turns the comparison off.",
              ),
            agreementTolerance: z
              .number()
              .nonnegative()
              .default(0.1)
              .describe(
                "Regression: two predictions agree when they differ by at most this share of max(1, |live prediction|).",
              ),
            postSwitchSeconds: z.number().nonnegative().default(2),
          })
          .strict()
          .prefault({}),
        scaleDownDelaySeconds: z.number().nonnegative().default(30),
        environments: z
          .record(
            z.string(),
            z
              .object({
                url: z.string().url().optional().describe("Public URL reported on GitHub deployments."),
                requireApprovedReview: z.boolean().default(true),
                requireGreenChecks: z.boolean().default(true),
                requires: z
                  .array(z.enum(["merged", "reviewed", "gates", "attested"]))
                  .default(["merged", "reviewed", "gates"])
                  .describe(
                    "What a version's provenance must show before deploy, promote or rollback moves it here: merged (its commit is the merge commit of a pull request into the default branch), reviewed (that pull request has an approving review), gates (its modelship/train check passed), attested (its ONNX files have a SLSA build provenance attestation from a workflow of this repository; opt-in).",
                  ),
              })
              .strict(),
          )
          .default({}),
        kubernetes: KubernetesSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    monitoring: MonitoringSchema.prefault({}).describe(
      "Prediction logging of `modelship serve --prediction-log`, local slots and drift checks.",
    ),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
