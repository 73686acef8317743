import { request as httpRequest } from "node:http";
import type { RequestOptions } from "node:https";
import { request as httpsRequest } from "node:https";
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubernetesObject } from "../../core/kubernetes/build-manifests.ts";
import { FIELD_MANAGER, PORT_NAME } from "../../core/kubernetes/kubernetes-names.ts";

/** What the rollout reads of a Deployment to tell whether every new pod is Ready. */
export type DeploymentView = {
  generation: number;
  replicas: number;
  status: {
    observedGeneration: number;
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
  };
  /** Set when the Deployment controller gave up (`Progressing=False`, e.g. ProgressDeadlineExceeded). */
  stalled: string | null;
};

export type ServiceView = { annotations: Record<string, string>; selector: Record<string, string> };

export type HttpAnswer = { status: number | null; body: string; error?: string };

/** The Kubernetes calls a blue-green rollout makes, in one namespace. */
export type KubernetesApi = {
  namespace: string;
  readService(name: string): Promise<ServiceView | null>;
  /** Server-side apply with field manager `modelship`, taking over conflicting fields. */
  apply(object: KubernetesObject): Promise<void>;
  readDeployment(name: string): Promise<DeploymentView | null>;
  /** Sets `spec.replicas` through the scale subresource; a missing Deployment counts as scaled. */
  scaleDeployment(name: string, replicas: number): Promise<void>;
  /** An HTTP request to a Service, through the API server's service proxy unless a URL is given. */
  serviceRequest(
    service: string,
    path: string,
    init: { method: "GET" | "POST"; body?: string; timeoutMs: number; signal?: AbortSignal },
  ): Promise<HttpAnswer>;
};

/** A refusal from the API server, with its Status message. */
export class KubernetesApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "KubernetesApiError";
    this.status = status;
  }
}

const APPLY = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The Kubernetes port backed by `@kubernetes/client-node`. */
export function createKubernetesApi(opts: {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Reach Services at these base URLs instead of through the API server (e.g. from inside the cluster). */
  serviceUrls?: Record<string, string>;
}): KubernetesApi {
  const kc = opts.kubeConfig;
  const namespace = opts.namespace;
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ssa = { namespace, fieldManager: FIELD_MANAGER, force: true } as const;

  return {
    namespace,
    async readService(name) {
      const svc = await call(() => core.readNamespacedService({ name, namespace }), true);
      if (svc === null) return null;
      return { annotations: svc.metadata?.annotations ?? {}, selector: svc.spec?.selector ?? {} };
    },
    async apply(object) {
      const name = object.metadata?.name ?? "";
      const body = object.toJSON() as object;
      const what = `${object.kind} ${namespace}/${name}`;
      switch (object.kind) {
        case "Deployment":
          await call(() => apps.patchNamespacedDeployment({ name, body, ...ssa }, APPLY), false, what);
          return;
        case "Service":
          await call(() => core.patchNamespacedService({ name, body, ...ssa }, APPLY), false, what);
          return;
        case "HorizontalPodAutoscaler":
          await call(
            () => autoscaling.patchNamespacedHorizontalPodAutoscaler({ name, body, ...ssa }, APPLY),
            false,
            what,
          );
          return;
        case "PodDisruptionBudget":
          await call(
            () => policy.patchNamespacedPodDisruptionBudget({ name, body, ...ssa }, APPLY),
            false,
            what,
          );
          return;
        case "VirtualService": {
          const [group = "", version = ""] = object.apiVersion.split("/");
          await call(
            () =>
              custom.patchNamespacedCustomObject(
                { group, version, plural: "virtualservices", name, body, ...ssa },
                APPLY,
              ),
            false,
            what,
          );
          return;
        }
        default:
          throw new Error(`cannot apply ${object.kind}`);
      }
    },
    async readDeployment(name) {
      const d = await call(() => apps.readNamespacedDeployment({ name, namespace }), true);
      if (d === null) return null;
      const s = d.status ?? {};
      const stalled = (s.conditions ?? []).find((c) => c.type === "Progressing" && c.status === "False");
      return {
        generation: d.metadata?.generation ?? 0,
        replicas: d.spec?.replicas ?? 1,
        status: {
          observedGeneration: s.observedGeneration ?? 0,
          replicas: s.replicas ?? 0,
          updatedReplicas: s.updatedReplicas ?? 0,
          readyReplicas: s.readyReplicas ?? 0,
          availableReplicas: s.availableReplicas ?? 0,
        },
        stalled: stalled ? `${stalled.reason ?? "Progressing=False"}: ${stalled.message ?? ""}`.trim() : null,
      };
    },
    async scaleDeployment(name, replicas) {
      await call(
        () => apps.patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas } } }, MERGE),
        true,
        `Deployment ${namespace}/${name} scale`,
      );
    },
    serviceRequest(service, path, init) {
      const direct = opts.serviceUrls?.[service];
      if (direct !== undefined) return send(kc, `${direct.replace(/\/$/, "")}${path}`, init, false);
      const server = kc.getCurrentCluster()?.server;
      if (!server)
        return Promise.resolve({ status: null, body: "", error: "the kubeconfig names no cluster" });
      const url = `${server.replace(/\/$/, "")}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${PORT_NAME}/proxy${path}`;
      return send(kc, url, init, true);
    },
  };
}

async function call<T>(fn: () => Promise<T>, allowMissing: true, what?: string): Promise<T | null>;
async function call<T>(fn: () => Promise<T>, allowMissing: false, what?: string): Promise<T>;
async function call<T>(fn: () => Promise<T>, allowMissing: boolean, what?: string): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiException) {
      if (err.code === 404 && allowMissing) return null;
      throw new KubernetesApiError(
        err.code,
        `${what ? `${what}: ` : ""}${statusMessage(err.code, err.body)}`,
      );
    }
    // No HTTP answer at all (connection refused, TLS, DNS): name the cause fetch hides.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause ? ` (${cause.code ?? cause.message ?? "no detail"})` : "";
    throw new KubernetesApiError(0, `${what ? `${what}: ` : ""}${(err as Error).message}${detail}`);
  }
}

function statusMessage(code: number, body: unknown): string {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return `HTTP ${code} ${body.slice(0, 300)}`;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return `HTTP ${code}${typeof message === "string" ? ` ${message}` : ""}`;
}

/** One HTTP request with the kubeconfig's credentials (when it goes to the API server). */
async function send(
  kc: KubeConfig,
  url: string,
  init: { method: "GET" | "POST"; body?: string; timeoutMs: number; signal?: AbortSignal },
  withCredentials: boolean,
): Promise<HttpAnswer> {
  const options: RequestOptions = {
    method: init.method,
    headers: { accept: "application/json" },
  };
  if (withCredentials) await kc.applyToHTTPSOptions(options);
  const target = new URL(url);
  const headers: Record<string, string | number> = { ...(options.headers as Record<string, string>) };
  if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = Buffer.byteLength(init.body);
  }
  const isHttps = target.protocol === "https:";
  const { agent: _agent, ...rest } = options;
  const requestOptions: RequestOptions = { ...(isHttps ? options : rest), headers, method: init.method };
  return new Promise<HttpAnswer>((resolve) => {
    const req = (isHttps ? httpsRequest : httpRequest)(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", (err) => resolve({ status: null, body: "", error: err.message }));
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${init.timeoutMs} ms`)),
      init.timeoutMs,
    );
    const onAbort = () => req.destroy(new Error("aborted"));
    init.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ status: null, body: "", error: err.code ?? err.message }),
    );
    req.on("close", () => {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", onAbort);
    });
    req.end(init.body);
  });
}
