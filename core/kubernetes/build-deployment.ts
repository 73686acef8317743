import { Deployment } from "kubernetes-models/apps/v1";
import { batchingArgs } from "../config/batching-args.ts";
import type { IContainer, IPodTemplateSpec, IVolume } from "kubernetes-models/v1";
import type { Colour } from "../rollout/rollout-types.ts";
import { assertQuantity, namespaceOf, resolveImage } from "./kubernetes-inputs.ts";
import type { BuildContext, ServedModel } from "./kubernetes-inputs.ts";
import {
  colourSelector,
  kubernetesNames,
  LABELS,
  labelValue,
  modelSelector,
  MODEL_URI_ANNOTATION,
  PORT_NAME,
  VERSION_ANNOTATION,
} from "./kubernetes-names.ts";
import { MODELS_MOUNT, REGISTRY_TOKEN_SECRET, renderFetchEnv } from "./model-source.ts";
import { predictionLogParts } from "./prediction-log-volume.ts";
import { validated } from "./validated.ts";

/** Kubernetes' probe defaults, spelled out so the manifests say what they do. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

/** The user the serving image runs as (the `node` user of the official Node images). */
export const SERVE_UID = 1000;

/** The pod template both a colour's Deployment and the Argo Rollout run. */
export function buildPodTemplate(
  ctx: BuildContext,
  opts: { model: ServedModel; colour: Colour | null },
): IPodTemplateSpec {
  const k = ctx.kubernetes;
  assertQuantity(k.resources.cpu, "deploy.kubernetes.resources.cpu");
  assertQuantity(k.resources.memory, "deploy.kubernetes.resources.memory");
  const selector = opts.colour
    ? colourSelector(opts.model.name, opts.colour)
    : modelSelector(opts.model.name);
  const gpu = k.resources.gpu > 0 ? { "nvidia.com/gpu": String(k.resources.gpu) } : {};
  const probe = (path: string) => ({ httpGet: { path, port: PORT_NAME }, ...PROBE_DEFAULTS });
  const fetch = fetchParts(ctx, opts.model);
  const log = predictionLogParts(ctx, SERVE_UID);
  const volumes = [...(fetch.volumes ?? []), ...log.volumes];
  const mounts = [
    ...(opts.model.fetch ? [{ name: MODEL_VOLUME, mountPath: MODELS_MOUNT, readOnly: true }] : []),
    ...log.mounts,
  ];
  return {
    metadata: {
      labels: {
        ...selector,
        [LABELS.version]: labelValue(opts.model.version),
        [LABELS.environment]: labelValue(ctx.environment),
      },
      annotations: {
        [VERSION_ANNOTATION]: opts.model.version,
        [MODEL_URI_ANNOTATION]: opts.model.modelUri,
      },
    },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SERVE_UID,
        ...(log.fsGroup !== undefined ? { fsGroup: log.fsGroup } : {}),
        seccompProfile: { type: "RuntimeDefault" },
      },
      terminationGracePeriodSeconds: 30,
      ...(k.resources.gpu > 0
        ? { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] }
        : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
      ...(fetch.initContainers ? { initContainers: fetch.initContainers } : {}),
      containers: [
        {
          name: "server",
          image: resolveImage(ctx, opts.model),
          args: [
            "serve",
            "--model",
            opts.model.modelUri,
            "--name",
            opts.model.name,
            // The version in answers and metrics labels: the canary analysis selects it in Prometheus.
            "--model-version",
            opts.model.version,
            "--host",
            "0.0.0.0",
            "--port",
            String(k.port),
            ...(ctx.batching ? batchingArgs(ctx.batching) : []),
            ...log.args,
          ],
          ...(log.env.length > 0 ? { env: log.env } : {}),
          ports: [{ name: PORT_NAME, containerPort: k.port, protocol: "TCP" }],
          resources: {
            requests: { cpu: k.resources.cpu, memory: k.resources.memory, ...gpu },
            limits: { memory: k.resources.memory, ...gpu },
          },
          readinessProbe: probe("/v2/health/ready"),
          livenessProbe: probe("/v2/health/live"),
          securityContext: CONTAINER_SECURITY,
          ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
        },
      ],
    },
  };
}

const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const MODEL_VOLUME = "model";

/**
 * With `model.fetch`: an emptyDir shared by both containers and the `fetch-model` init container,
 * which fetches the version from the registry and checks it against the pinned digests. A
 * mismatch fails the init container, so the pod never becomes Ready and the rollout rolls back.
 */
function fetchParts(
  ctx: BuildContext,
  model: ServedModel,
): { volumes?: IVolume[]; initContainers?: IContainer[] } {
  if (!model.fetch) return {};
  const k = ctx.kubernetes;
  const pinned = { name: model.name, version: model.version, artifacts: model.fetch.artifacts };
  return {
    volumes: [{ name: MODEL_VOLUME, emptyDir: {} }],
    initContainers: [
      {
        name: "fetch-model",
        image: resolveImage(ctx, model),
        args: ["fetch-model", "--dir", MODELS_MOUNT],
        env: [
          ...renderFetchEnv(model.fetch.source, pinned),
          {
            name: "GITHUB_TOKEN",
            valueFrom: { secretKeyRef: { name: REGISTRY_TOKEN_SECRET, key: "token", optional: true } },
          },
        ],
        resources: {
          requests: { cpu: k.resources.cpu, memory: k.resources.memory },
          limits: { memory: k.resources.memory },
        },
        volumeMounts: [{ name: MODEL_VOLUME, mountPath: MODELS_MOUNT }],
        securityContext: CONTAINER_SECURITY,
      },
    ],
  };
}

/**
 * One colour's Deployment: `modelship serve` on the configured port, readiness on
 * `/v2/health/ready`, liveness on `/v2/health/live`, and `nvidia.com/gpu` when asked for.
 */
export function buildDeployment(
  ctx: BuildContext,
  opts: { model: ServedModel; colour: Colour; replicas?: number },
): Deployment {
  const template = buildPodTemplate(ctx, opts);
  return validated(
    new Deployment({
      metadata: {
        name: kubernetesNames(opts.model.name).deployment(opts.colour),
        namespace: namespaceOf(ctx),
        labels: { ...template.metadata?.labels, [LABELS.managedBy]: "modelship" },
      },
      spec: {
        replicas: opts.replicas ?? ctx.kubernetes.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: colourSelector(opts.model.name, opts.colour) },
        template,
      },
    }),
  );
}
