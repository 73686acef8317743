import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKubeApi } from "./fake-kube-api.ts";
import type { FakeKubeApi } from "./fake-kube-api.ts";

// The fake must refuse what the API server refuses, or the target's tests prove nothing.
let api: FakeKubeApi;
beforeAll(async () => {
  api = await startFakeKubeApi();
});
afterAll(() => api.close());

const DEPLOY_PATH = "/apis/apps/v1/namespaces/ml/deployments/";
const APPLY = "application/apply-patch+yaml";

type Doc = {
  kind: string;
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Array<{
          ports: Array<{ containerPort: number | string }>;
          resources: { requests: Record<string, string>; limits: Record<string, string> };
        }>;
      };
    };
  };
};

function deployment(name: string, patch: (d: Doc) => void = () => {}) {
  const d = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "server",
              image: "img",
              ports: [{ name: "http", containerPort: 8080 }],
              resources: { requests: { cpu: "500m" }, limits: { memory: "512Mi" } },
            },
          ],
        },
      },
    },
  };
  patch(d as unknown as Doc);
  return d;
}

async function send(
  path: string,
  init: { method: string; contentType?: string; query?: string; body?: unknown },
) {
  const res = await fetch(`${api.url}${path}${init.query ?? ""}`, {
    method: init.method,
    headers: init.contentType ? { "content-type": init.contentType } : {},
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("fake Kubernetes API server", () => {
  it.each([
    ["no fieldManager on an apply", "a1", {}, "", 422, /fieldManager: Required value/],
    [
      "a containerPort that is not an integer",
      "a2",
      { port: "x" },
      "?fieldManager=t",
      422,
      /containerPort must be integer/,
    ],
    [
      "a selector that does not match the template",
      "a3",
      { selector: "other" },
      "?fieldManager=t",
      422,
      /selector. does not match template/,
    ],
    ["a name with an underscore", "a_4", {}, "?fieldManager=t", 422, /metadata.name: Invalid value/],
    [
      "a CPU quantity Kubernetes cannot read",
      "a5",
      { cpu: "half" },
      "?fieldManager=t",
      422,
      /quantities must match/,
    ],
    [
      "a GPU request that differs from its limit",
      "a6",
      { gpu: true },
      "?fieldManager=t",
      422,
      /must be equal to nvidia.com\/gpu limit/,
    ],
    ["a label value with '+'", "a7", { label: "1.0.0+sha" }, "?fieldManager=t", 422, /invalid label value/],
    [
      "a kind that does not match the URL",
      "a8",
      { kind: "Service" },
      "?fieldManager=t",
      400,
      /does not match the expected kind/,
    ],
  ])("refuses %s", async (_name, name, change, query, status, message) => {
    const body = deployment(name, (d) => {
      const c = d.spec.template.spec.containers[0] as Doc["spec"]["template"]["spec"]["containers"][number];
      if ("port" in change) (c.ports[0] as { containerPort: number | string }).containerPort = change.port;
      if ("selector" in change) d.spec.selector.matchLabels.app = change.selector;
      if ("cpu" in change) c.resources.requests.cpu = change.cpu;
      if ("gpu" in change) {
        c.resources.requests["nvidia.com/gpu"] = "1";
        c.resources.limits["nvidia.com/gpu"] = "2";
      }
      if ("label" in change) d.spec.template.metadata.labels.version = change.label;
      if ("kind" in change) d.kind = change.kind;
    });
    const r = await send(`${DEPLOY_PATH}${name}`, { method: "PATCH", contentType: APPLY, query, body });
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ kind: "Status", status: "Failure", code: status });
    expect(String(r.body["message"])).toMatch(message);
    expect(api.get("Deployment", "ml", name)).toBeUndefined();
  });

  it("creates with 201, updates with 200, bumps the generation only when the spec changes, and keeps selectors immutable", async () => {
    const path = `${DEPLOY_PATH}keep`;
    const query = "?fieldManager=modelship&force=true";
    expect(
      (await send(path, { method: "PATCH", contentType: APPLY, query, body: deployment("keep") })).status,
    ).toBe(201);
    const same = await send(path, { method: "PATCH", contentType: APPLY, query, body: deployment("keep") });
    expect(same).toMatchObject({ status: 200, body: { metadata: { generation: 1 } } });
    const scaled = deployment("keep", (d) => (d.spec.replicas = 3));
    expect(await send(path, { method: "PATCH", contentType: APPLY, query, body: scaled })).toMatchObject({
      status: 200,
      body: { metadata: { generation: 2 } },
    });
    const moved = deployment("keep", (d) => {
      d.spec.selector.matchLabels = { app: "keep", colour: "blue" };
      d.spec.template.metadata.labels.colour = "blue";
    });
    const r = await send(path, { method: "PATCH", contentType: APPLY, query, body: moved });
    expect(r.status).toBe(422);
    expect(String(r.body["message"])).toMatch(/spec.selector: field is immutable/);
  });

  it("answers 409 to another manager's apply without force, and 415 to a plain JSON patch", async () => {
    const path = `${DEPLOY_PATH}owned`;
    await send(path, {
      method: "PATCH",
      contentType: APPLY,
      query: "?fieldManager=kubectl",
      body: deployment("owned"),
    });
    const conflict = await send(path, {
      method: "PATCH",
      contentType: APPLY,
      query: "?fieldManager=modelship",
      body: deployment("owned"),
    });
    expect(conflict).toMatchObject({ status: 409, body: { reason: "Conflict" } });
    const json = await send(path, { method: "PATCH", contentType: "application/json", body: {} });
    expect(json.status).toBe(415);
    const forced = await send(`${path}/scale`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      query: "?force=true",
      body: { spec: { replicas: 0 } },
    });
    expect(forced.status).toBe(422);
  });

  it("scales through the scale subresource and validates the Scale", async () => {
    const path = `${DEPLOY_PATH}sc`;
    await send(path, {
      method: "PATCH",
      contentType: APPLY,
      query: "?fieldManager=t",
      body: deployment("sc"),
    });
    const bad = await send(`${path}/scale`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: { spec: { replicas: "none" } },
    });
    expect(bad.status).toBe(422);
    const ok = await send(`${path}/scale`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: { spec: { replicas: 0 } },
    });
    expect(ok).toMatchObject({ status: 200, body: { kind: "Scale", spec: { replicas: 0 } } });
    // The controller catches up a moment later.
    await expect
      .poll(() => api.get("Deployment", "ml", "sc"))
      .toMatchObject({ spec: { replicas: 0 }, status: { replicas: 0, observedGeneration: 2 } });
  });

  it("answers 404 with a Status for a missing object and 503 from a Service with no ready endpoints", async () => {
    expect(await send("/api/v1/namespaces/ml/services/nope", { method: "GET" })).toMatchObject({
      status: 404,
      body: { kind: "Status", reason: "NotFound" },
    });
    await send("/api/v1/namespaces/ml/services/empty", {
      method: "PATCH",
      contentType: APPLY,
      query: "?fieldManager=t",
      body: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "empty" },
        spec: { selector: { app: "none" }, ports: [{ name: "http", port: 8080, targetPort: "http" }] },
      },
    });
    const r = await send("/api/v1/namespaces/ml/services/empty:http/proxy/v2/health/ready", {
      method: "GET",
    });
    expect(r).toMatchObject({ status: 503, body: { message: 'no endpoints available for service "empty"' } });
  });
});
