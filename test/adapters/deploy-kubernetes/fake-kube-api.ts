import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1";
import { Scale } from "kubernetes-models/autoscaling/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1";
import { parse as parseYaml } from "yaml";

/**
 * A local stand-in for the Kubernetes API server: the paths, verbs and content types the
 * blue-green target uses, every body checked against the official schemas kubernetes-models
 * carries (422 Status on any violation, as the API server answers), pods that turn Ready a while
 * after a Deployment changes, and a service proxy that forwards to the pods the Service selects.
 */

type Json = Record<string, unknown>;
type Kind = "Deployment" | "Service" | "HorizontalPodAutoscaler" | "PodDisruptionBudget" | "VirtualService";

export type FakeKubeCall = {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  body: unknown;
  status: number;
  /** The response body (a copy). */
  response: unknown;
  at: number;
};

/**
 * How a Deployment's pods behave after a change: Ready `readyAfterMs` later, or once the
 * Deployment was read `readyAfterReads` times (deterministic under load), or never.
 */
export type PodBehaviour = {
  ready: boolean;
  observeAfterMs: number;
  readyAfterMs: number;
  readyAfterReads?: number;
  /**
   * Runs each init container of the pod template (name and env); false is a non-zero exit, so
   * the pods stay in Init:Error and never become Ready, as the kubelet does.
   */
  initContainer?: (container: { name: string; env: Record<string, string> }) => boolean;
};

type Stored = {
  kind: Kind;
  object: Json;
  changedAt: number;
  manager: string | null;
  readyAt: number | null;
  /** GETs of this object since its spec last changed. */
  reads: number;
};

const RESOURCES: Array<{ re: RegExp; kind: Kind; apiVersion: string; sub?: "scale" | "status" }> = [
  {
    re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/,
    kind: "Deployment",
    apiVersion: "apps/v1",
  },
  {
    re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/,
    kind: "Deployment",
    apiVersion: "apps/v1",
    sub: "scale",
  },
  {
    re: /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/status$/,
    kind: "Deployment",
    apiVersion: "apps/v1",
    sub: "status",
  },
  { re: /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/:]+)$/, kind: "Service", apiVersion: "v1" },
  {
    re: /^\/apis\/autoscaling\/v2\/namespaces\/([^/]+)\/horizontalpodautoscalers\/([^/]+)$/,
    kind: "HorizontalPodAutoscaler",
    apiVersion: "autoscaling/v2",
  },
  {
    re: /^\/apis\/policy\/v1\/namespaces\/([^/]+)\/poddisruptionbudgets\/([^/]+)$/,
    kind: "PodDisruptionBudget",
    apiVersion: "policy/v1",
  },
  {
    re: /^\/apis\/networking\.istio\.io\/v1beta1\/namespaces\/([^/]+)\/virtualservices\/([^/]+)$/,
    kind: "VirtualService",
    apiVersion: "networking.istio.io/v1beta1",
  },
];
const PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/:]+):([^/]+)\/proxy(\/.*)?$/;

const MODELS: Record<Kind, new (data: never) => { validate(): void }> = {
  Deployment,
  Service,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
  VirtualService,
};

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// k8s.io/apimachinery/pkg/api/resource: the shape ParseQuantity accepts.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** One rule of an RBAC Role. */
export type RbacRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

export type FakeKubeApi = {
  url: string;
  /** Authorise every request against these Role rules (403 Forbidden otherwise), as RBAC does. */
  authorize(rules: RbacRule[] | null): void;
  calls: FakeKubeCall[];
  /** The stored object, as a GET would return it. */
  get(kind: Kind, namespace: string, name: string): Json | undefined;
  /** Pre-creates an object as another client would (e.g. `kubectl`). */
  seed(kind: Kind, object: Json, manager?: string): void;
  /** Sets how a Deployment's pods behave from now on. */
  pods(deployment: string, behaviour: Partial<PodBehaviour>): void;
  /** The address the Deployment's pods answer on (a V2 server the test runs). */
  backend(deployment: string, url: string): void;
  /** When the Deployment's current generation had every pod Ready; null if it has not. */
  readyAt(namespace: string, deployment: string): number | null;
  close(): Promise<void>;
};

/** True when an init container of the Deployment's pod template exits non-zero under `b`. */
function initFails(spec: Json, b: PodBehaviour): boolean {
  if (b.initContainer === undefined) return false;
  const pod = ((spec["template"] as Json | undefined)?.["spec"] as Json | undefined) ?? {};
  const inits = (pod["initContainers"] as Json[] | undefined) ?? [];
  return inits.some((c) => {
    const env = Object.fromEntries(
      ((c["env"] as Json[] | undefined) ?? [])
        .filter((e) => typeof e["value"] === "string")
        .map((e) => [e["name"] as string, e["value"] as string]),
    );
    return !(b.initContainer as NonNullable<PodBehaviour["initContainer"]>)({
      name: c["name"] as string,
      env,
    });
  });
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const store = new Map<string, Stored>();
  const behaviours = new Map<string, PodBehaviour>();
  const backends = new Map<string, string>();
  const calls: FakeKubeCall[] = [];
  let rules: RbacRule[] | null = null;
  let resourceVersion = 1000;
  let nextIp = 10;
  const key = (kind: Kind, ns: string, name: string) => `${kind}/${ns}/${name}`;
  const behaviour = (name: string): PodBehaviour =>
    behaviours.get(name) ?? { ready: true, observeAfterMs: 5, readyAfterMs: 40 };

  /** The Deployment as the controller would have updated it by now. */
  function withStatus(s: Stored): Json {
    if (s.kind !== "Deployment") return s.object;
    const o = s.object;
    const meta = o["metadata"] as Json;
    const spec = o["spec"] as Json;
    const gen = meta["generation"] as number;
    const replicas = (spec["replicas"] as number | undefined) ?? 1;
    const b = behaviour(meta["name"] as string);
    const now = Date.now();
    const prev = (o["status"] as Json | undefined) ?? {};
    let status: Json;
    if (now < s.changedAt + b.observeAfterMs) {
      status = prev;
    } else if (replicas === 0) {
      status = {
        observedGeneration: gen,
        replicas: 0,
        updatedReplicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
      };
    } else if (
      !b.ready ||
      initFails(spec, b) ||
      (b.readyAfterReads === undefined ? now < s.changedAt + b.readyAfterMs : s.reads < b.readyAfterReads)
    ) {
      status = {
        observedGeneration: gen,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: replicas,
      };
    } else {
      s.readyAt ??= b.readyAfterReads === undefined ? s.changedAt + b.readyAfterMs : now;
      status = {
        observedGeneration: gen,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      };
    }
    o["status"] = status;
    return o;
  }

  function problem(
    code: number,
    reason: string,
    message: string,
    causes?: Array<{ field: string; message: string }>,
  ) {
    const err = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      code,
      ...(causes ? { details: { causes: causes.map((c) => ({ reason: "FieldValueInvalid", ...c })) } } : {}),
    };
    return { code, body: err };
  }

  /** What the API server's validation (schema plus the semantic rules the target touches) says. */
  function invalid(kind: Kind, o: Json, old: Json | null): Array<{ field: string; message: string }> {
    const causes: Array<{ field: string; message: string }> = [];
    try {
      new MODELS[kind](structuredClone(o) as never).validate();
    } catch (err) {
      causes.push({ field: "", message: (err as Error).message });
    }
    const meta = (o["metadata"] ?? {}) as Json;
    const name = String(meta["name"] ?? "");
    const nameRe = kind === "Service" ? DNS1035_LABEL : DNS1123_SUBDOMAIN;
    if (!nameRe.test(name) || name.length > (kind === "Service" ? 63 : 253))
      causes.push({ field: "metadata.name", message: `Invalid value: "${name}"` });
    checkLabels(meta["labels"], "metadata.labels", causes);
    const ann = (meta["annotations"] ?? {}) as Record<string, string>;
    if (JSON.stringify(ann).length > 256 * 1024)
      causes.push({ field: "metadata.annotations", message: "Too long: must have at most 262144 bytes" });
    const spec = (o["spec"] ?? {}) as Json;
    if (kind === "Deployment") {
      const selector = ((spec["selector"] as Json | undefined)?.["matchLabels"] ?? {}) as Record<
        string,
        string
      >;
      const template = (spec["template"] ?? {}) as Json;
      const tLabels = ((template["metadata"] as Json | undefined)?.["labels"] ?? {}) as Record<
        string,
        string
      >;
      checkLabels(tLabels, "spec.template.metadata.labels", causes);
      if (!Object.entries(selector).every(([k, v]) => tLabels[k] === v))
        causes.push({
          field: "spec.template.metadata.labels",
          message: "`selector` does not match template `labels`",
        });
      if (old && !isDeepStrictEqual((old["spec"] as Json)["selector"], spec["selector"]))
        causes.push({ field: "spec.selector", message: "field is immutable" });
      const containers = ((template["spec"] as Json | undefined)?.["containers"] ?? []) as Json[];
      containers.forEach((c, i) => {
        const res = (c["resources"] ?? {}) as {
          requests?: Record<string, string>;
          limits?: Record<string, string>;
        };
        for (const [part, values] of Object.entries(res)) {
          for (const [r, q] of Object.entries(values ?? {})) {
            if (!QUANTITY.test(String(q)))
              causes.push({
                field: `spec.template.spec.containers[${i}].resources.${part}[${r}]`,
                message: `Invalid value: "${q}": quantities must match the regular expression`,
              });
          }
        }
        for (const [r, q] of Object.entries(res.requests ?? {})) {
          if (r.includes("/") && !r.startsWith("kubernetes.io/") && res.limits?.[r] !== q)
            causes.push({
              field: `spec.template.spec.containers[${i}].resources.requests[${r}]`,
              message: `Invalid value: "${q}": must be equal to ${r} limit`,
            });
        }
        for (const p of (c["ports"] ?? []) as Json[]) {
          if (
            p["name"] !== undefined &&
            (!IANA_SVC_NAME.test(String(p["name"])) || String(p["name"]).length > 15)
          )
            causes.push({
              field: `spec.template.spec.containers[${i}].ports.name`,
              message: `Invalid value: "${String(p["name"])}"`,
            });
        }
      });
    }
    if (kind === "Service") {
      checkLabels(spec["selector"], "spec.selector", causes);
      for (const p of (spec["ports"] ?? []) as Json[]) {
        if (typeof p["targetPort"] === "string" && !IANA_SVC_NAME.test(p["targetPort"]))
          causes.push({ field: "spec.ports.targetPort", message: `Invalid value: "${p["targetPort"]}"` });
      }
    }
    if (kind === "HorizontalPodAutoscaler") {
      const min = (spec["minReplicas"] as number | undefined) ?? 1;
      if (min < 1) causes.push({ field: "spec.minReplicas", message: "must be greater than or equal to 1" });
      if ((spec["maxReplicas"] as number) < min)
        causes.push({ field: "spec.maxReplicas", message: "must be greater than or equal to `minReplicas`" });
    }
    return causes;
  }

  function checkLabels(labels: unknown, field: string, causes: Array<{ field: string; message: string }>) {
    for (const [k, v] of Object.entries((labels ?? {}) as Record<string, string>)) {
      const [prefix, name] = k.includes("/")
        ? [k.slice(0, k.indexOf("/")), k.slice(k.indexOf("/") + 1)]
        : ["", k];
      if ((prefix !== "" && !DNS1123_SUBDOMAIN.test(prefix)) || !LABEL_NAME.test(name) || name.length > 63)
        causes.push({ field, message: `Invalid value: "${k}": invalid label key` });
      if (typeof v !== "string" || !LABEL_VALUE.test(v) || v.length > 63)
        causes.push({
          field: `${field}.${k}`,
          message: `Invalid value: "${String(v)}": invalid label value`,
        });
    }
  }

  function write(kind: Kind, ns: string, name: string, next: Json, manager: string | null): Stored {
    const k = key(kind, ns, name);
    const old = store.get(k);
    const meta = next["metadata"] as Json;
    meta["namespace"] = ns;
    meta["resourceVersion"] = String(++resourceVersion);
    meta["uid"] ??= `00000000-0000-4000-8000-${String(resourceVersion).padStart(12, "0")}`;
    meta["creationTimestamp"] ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const specChanged = !old || !isDeepStrictEqual(old.object["spec"], next["spec"]);
    meta["generation"] =
      (((old?.object["metadata"] as Json | undefined)?.["generation"] as number | undefined) ?? 0) +
      (specChanged ? 1 : 0);
    if (kind === "Service") {
      const spec = next["spec"] as Json;
      const oldSpec = (old?.object["spec"] ?? {}) as Json;
      spec["clusterIP"] = oldSpec["clusterIP"] ?? `10.96.0.${nextIp++}`;
      spec["clusterIPs"] = [spec["clusterIP"]];
    }
    if (old?.object["status"] !== undefined) next["status"] = old.object["status"];
    // Fewer replicas of the same template: the controller only deletes pods, the rest stay Ready.
    const scaledDown =
      kind === "Deployment" &&
      old !== undefined &&
      old.readyAt !== null &&
      isDeepStrictEqual(
        { ...(old.object["spec"] as Json), replicas: 0 },
        { ...(next["spec"] as Json), replicas: 0 },
      ) &&
      ((next["spec"] as Json)["replicas"] as number) < ((old.object["spec"] as Json)["replicas"] as number);
    const restarted = specChanged && !scaledDown;
    const stored: Stored = {
      kind,
      object: next,
      changedAt: restarted ? Date.now() : (old?.changedAt ?? Date.now()),
      manager: manager ?? old?.manager ?? null,
      readyAt: restarted ? null : (old?.readyAt ?? null),
      reads: restarted ? 0 : (old?.reads ?? 0),
    };
    store.set(k, stored);
    return stored;
  }

  function handle(
    method: string,
    path: string,
    query: URLSearchParams,
    contentType: string | null,
    raw: string,
  ): { code: number; body: unknown } {
    const res = RESOURCES.find((r) => r.re.test(path));
    if (!res)
      return problem(404, "NotFound", `the server could not find the requested resource (${method} ${path})`);
    const m = res.re.exec(path) as RegExpExecArray;
    const ns = decodeURIComponent(m[1] as string);
    const name = decodeURIComponent(m[2] as string);
    const k = key(res.kind, ns, name);
    const existing = store.get(k);
    const notFound = () =>
      problem(
        404,
        "NotFound",
        `${res.kind.toLowerCase()}s${res.apiVersion.includes("/") ? `.${res.apiVersion.split("/")[0]}` : ""} "${name}" not found`,
      );
    if (method === "GET") {
      if (!existing) return notFound();
      existing.reads++;
      const o = withStatus(existing);
      return { code: 200, body: res.sub === "scale" ? scaleOf(o) : o };
    }
    if (method !== "PATCH")
      return problem(405, "MethodNotAllowed", `the fake API server does not accept ${method} here`);
    const force = query.get("force");
    const fieldManager = query.get("fieldManager");
    if (contentType === "application/apply-patch+yaml") {
      if (res.sub)
        return problem(415, "UnsupportedMediaType", "apply patches to subresources are not used here");
      if (!fieldManager)
        return problem(
          422,
          "Invalid",
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      let body: Json;
      try {
        body = parseYaml(raw) as Json;
      } catch (err) {
        return problem(400, "BadRequest", `error decoding YAML: ${(err as Error).message}`);
      }
      if (body === null || typeof body !== "object")
        return problem(400, "BadRequest", "the body is not an object");
      if (body["apiVersion"] !== res.apiVersion)
        return problem(
          400,
          "BadRequest",
          `the API version in the data (${String(body["apiVersion"])}) does not match the expected API version (${res.apiVersion})`,
        );
      if (body["kind"] !== res.kind)
        return problem(
          400,
          "BadRequest",
          `the kind in the data (${String(body["kind"])}) does not match the expected kind (${res.kind})`,
        );
      const meta = (body["metadata"] ?? {}) as Json;
      if (meta["name"] !== name)
        return problem(
          400,
          "BadRequest",
          `the name of the object (${String(meta["name"])}) does not match the name on the URL (${name})`,
        );
      if (meta["namespace"] !== undefined && meta["namespace"] !== ns)
        return problem(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      if (existing && existing.manager !== fieldManager && force !== "true")
        return problem(
          409,
          "Conflict",
          `Apply failed with 1 conflict: conflict with "${existing.manager ?? "unknown"}": .spec`,
        );
      // Same manager, whole object: the applied configuration replaces what that manager set.
      const next = structuredClone(body);
      delete next["status"];
      const causes = invalid(res.kind, next, existing?.object ?? null);
      if (causes.length > 0)
        return problem(
          422,
          "Invalid",
          `${res.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`,
          causes,
        );
      const stored = write(res.kind, ns, name, next, fieldManager);
      return { code: existing ? 200 : 201, body: withStatus(stored) };
    }
    if (contentType === "application/merge-patch+json") {
      if (force !== null)
        return problem(422, "Invalid", "force: Forbidden: may not be specified for non-apply patch");
      if (!existing) return notFound();
      let patch: unknown;
      try {
        patch = JSON.parse(raw);
      } catch (err) {
        return problem(400, "BadRequest", `error decoding patch: ${(err as Error).message}`);
      }
      if (res.sub === "scale") {
        const scale = mergePatch(scaleOf(withStatus(existing)), patch) as Json;
        try {
          new Scale(structuredClone(scale) as never).validate();
        } catch (err) {
          return problem(422, "Invalid", `Scale "${name}" is invalid: ${(err as Error).message}`);
        }
        const replicas = (scale["spec"] as Json | undefined)?.["replicas"];
        if (typeof replicas !== "number" || replicas < 0)
          return problem(
            422,
            "Invalid",
            `Scale "${name}" is invalid: spec.replicas: must be greater than or equal to 0`,
          );
        const next = structuredClone(existing.object);
        (next["spec"] as Json)["replicas"] = replicas;
        const stored = write(res.kind, ns, name, next, null);
        return { code: 200, body: scaleOf(withStatus(stored)) };
      }
      if (res.sub) return problem(405, "MethodNotAllowed", "status is written by controllers");
      const next = mergePatch(structuredClone(existing.object), patch) as Json;
      const causes = invalid(res.kind, next, existing.object);
      if (causes.length > 0)
        return problem(
          422,
          "Invalid",
          `${res.kind} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`,
          causes,
        );
      return { code: 200, body: withStatus(write(res.kind, ns, name, next, null)) };
    }
    return problem(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
    );
  }

  function scaleOf(o: Json): Json {
    const meta = o["metadata"] as Json;
    const spec = o["spec"] as Json;
    const sel = ((spec["selector"] as Json)["matchLabels"] ?? {}) as Record<string, string>;
    return {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: {
        name: meta["name"],
        namespace: meta["namespace"],
        resourceVersion: meta["resourceVersion"],
        uid: meta["uid"],
      },
      spec: { replicas: spec["replicas"] ?? 1 },
      status: {
        replicas: ((o["status"] as Json | undefined)?.["replicas"] as number | undefined) ?? 0,
        selector: Object.entries(sel)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      },
    };
  }

  /** The ready pods a Service's selector reaches: the backends of the Deployments whose pods match. */
  function endpoints(ns: string, service: Json): string[] {
    const selector = ((service["spec"] as Json)["selector"] ?? {}) as Record<string, string>;
    const out: string[] = [];
    for (const s of store.values()) {
      if (s.kind !== "Deployment") continue;
      const o = withStatus(s);
      const meta = o["metadata"] as Json;
      if (meta["namespace"] !== ns) continue;
      const labels = (((o["spec"] as Json)["template"] as Json)["metadata"] as Json)["labels"] as Record<
        string,
        string
      >;
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      if ((((o["status"] as Json | undefined)?.["readyReplicas"] as number | undefined) ?? 0) === 0) continue;
      const url = backends.get(meta["name"] as string);
      if (url) out.push(url);
    }
    return out;
  }

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    m: RegExpExecArray,
    raw: Buffer,
  ): Promise<number> {
    const ns = decodeURIComponent(m[1] as string);
    const name = decodeURIComponent(m[2] as string);
    const port = decodeURIComponent(m[3] as string);
    const rest = m[4] ?? "/";
    const svc = store.get(key("Service", ns, name));
    const fail = (p: { code: number; body: unknown }) => {
      res.writeHead(p.code, { "content-type": "application/json" }).end(JSON.stringify(p.body));
      return p.code;
    };
    if (!svc) return fail(problem(404, "NotFound", `services "${name}" not found`));
    const ports = ((svc.object["spec"] as Json)["ports"] ?? []) as Json[];
    if (!ports.some((p) => p["name"] === port || String(p["port"]) === port))
      return fail(
        problem(503, "ServiceUnavailable", `no service port "${port}" found for service "${name}"`),
      );
    const targets = endpoints(ns, svc.object);
    if (targets.length === 0)
      return fail(problem(503, "ServiceUnavailable", `no endpoints available for service "${name}"`));
    const target = new URL(rest, targets[Math.floor(Math.random() * targets.length)]);
    return new Promise<number>((resolve) => {
      const out = httpRequest(
        target,
        {
          method: req.method,
          headers: { "content-type": req.headers["content-type"] ?? "application/json" },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, {
            "content-type": answer.headers["content-type"] ?? "application/json",
          });
          answer.pipe(res);
          answer.on("end", () => resolve(answer.statusCode ?? 502));
        },
      );
      out.on("error", (err) =>
        resolve(fail(problem(503, "ServiceUnavailable", `error trying to reach service: ${err.message}`))),
      );
      out.end(raw);
    });
  }

  /** The RBAC decision for a request: null when allowed, else the Status the API server sends. */
  function forbidden(method: string, path: string): unknown {
    if (rules === null) return null;
    let group: string;
    let resource: string;
    let verb: string;
    let exists = true;
    const pm = PROXY.exec(path);
    if (pm) {
      group = "";
      resource = "services/proxy";
      verb = method === "GET" ? "get" : "create";
    } else {
      const res = RESOURCES.find((r) => r.re.test(path));
      if (!res) return null;
      const m = res.re.exec(path) as RegExpExecArray;
      group = res.apiVersion.includes("/") ? (res.apiVersion.split("/")[0] as string) : "";
      const plural = /\/(\w+)\/[^/]+$/.exec(path.replace(/\/(scale|status)$/, ""))?.[1] ?? "";
      resource = res.sub ? `${plural}/${res.sub}` : plural;
      verb = method === "GET" ? "get" : "patch";
      exists = store.has(
        key(res.kind, decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string)),
      );
    }
    // Applying an object that does not exist yet creates it: both verbs are needed.
    const verbs = verb === "patch" && !exists ? ["patch", "create"] : [verb];
    const allowed = (v: string) =>
      (rules ?? []).some(
        (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(v),
      );
    const missing = verbs.find((v) => !allowed(v));
    if (missing === undefined) return null;
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `${resource}${group ? `.${group}` : ""} is forbidden: User "system:serviceaccount:ml:modelship-deployer" cannot ${missing} resource "${resource}" in API group "${group}"`,
      reason: "Forbidden",
      code: 403,
    };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://fake");
      const contentType = req.headers["content-type"]?.split(";")[0]?.trim() ?? null;
      const call: FakeKubeCall = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType,
        body: parseBody(raw.toString("utf8"), contentType),
        status: 0,
        response: null,
        at: Date.now(),
      };
      calls.push(call);
      const denied = forbidden(call.method, url.pathname);
      if (denied) {
        call.status = 403;
        call.response = denied;
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify(denied));
        return;
      }
      const pm = PROXY.exec(url.pathname);
      if (pm) {
        void proxy(req, res, pm, raw).then((code) => (call.status = code));
        return;
      }
      const answer = handle(call.method, url.pathname, url.searchParams, contentType, raw.toString("utf8"));
      call.status = answer.code;
      call.response = structuredClone(answer.body);
      res.writeHead(answer.code, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    authorize(r) {
      rules = r;
    },
    get(kind, namespace, name) {
      const s = store.get(key(kind, namespace, name));
      return s ? structuredClone(withStatus(s)) : undefined;
    },
    seed(kind, object, manager = "kubectl") {
      const meta = object["metadata"] as Json;
      const causes = invalid(kind, object, null);
      if (causes.length > 0) throw new Error(`seeded ${kind} is invalid: ${JSON.stringify(causes)}`);
      write(kind, String(meta["namespace"]), String(meta["name"]), structuredClone(object), manager);
    },
    pods(deployment, b) {
      behaviours.set(deployment, { ...behaviour(deployment), ...b });
    },
    backend(deployment, url) {
      backends.set(deployment, url);
    },
    readyAt(namespace, deployment) {
      const s = store.get(key("Deployment", namespace, deployment));
      if (!s) return null;
      withStatus(s);
      return s.readyAt;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === "") return null;
  try {
    return contentType === "application/apply-patch+yaml" ? parseYaml(text) : JSON.parse(text);
  } catch {
    return text;
  }
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Json =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [k, v] of Object.entries(patch as Json)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
