import { access, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeKubeApi } from "../adapters/deploy-kubernetes/fake-kube-api.ts";
import type { FakeKubeApi } from "../adapters/deploy-kubernetes/fake-kube-api.ts";
import { runCli } from "./run-cli.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
deploy:
  target: kubernetes
  kubernetes: { namespace: models }
`;

let root: string;
let repo: string;
let api: FakeKubeApi;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ms-cli-k8s-"));
  repo = join(root, "repo");
  await mkdir(join(repo, ".github"), { recursive: true });
  await writeFile(join(repo, ".github/modelship.yml"), CONFIG);
  api = await startFakeKubeApi();
  const kubeconfig = join(root, "kubeconfig");
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: api.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "me", user: { token: "t" } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "me", namespace: "models" } }],
      "current-context": "fake",
    }),
  );
  env = { KUBECONFIG: kubeconfig };
});

afterAll(async () => {
  await api.close();
  await rm(root, { recursive: true, force: true });
});

const version = (v: string) => ({ name: "iris", version: v, modelUri: "/models/model", image: `iris:${v}` });

describe("the CLI with deploy.target: kubernetes", () => {
  it("status reads the Service's state, not a local state file", async () => {
    const none = await runCli(["status", "--json"], { cwd: repo, env });
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ target: "kubernetes", active: null, previous: null });

    api.seed("Service", {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "iris",
        namespace: "models",
        annotations: {
          "modelship.dev/state": JSON.stringify({
            schemaVersion: 1,
            environment: "production",
            updatedAt: "2026-01-01T00:00:00Z",
            active: { ...version("2.0.0"), colour: "green", since: "2026-01-01T00:00:00Z" },
            previous: version("1.0.0"),
          }),
        },
      },
      spec: { selector: { app: "iris" }, ports: [{ port: 80 }] },
    });
    const live = await runCli(["status"], { cwd: repo, env });
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/production: kubernetes \(namespace models\)/);
    expect(live.stdout).toMatch(/live: +v2\.0\.0/);
    expect(live.stdout).toMatch(/previous: +v1\.0\.0/);
  });

  it.each([["up"], ["run"]])("`%s` refuses with exit 2 instead of opening a local router", async (cmd) => {
    const r = await runCli([cmd, "--port", "0"], { cwd: repo, env, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/deploy\.target is kubernetes/);
    expect(r.stderr).toMatch(/target-not-local/);
    await expect(access(join(repo, ".modelship", "deploy"))).rejects.toThrow();
    await expect(access(join(repo, ".modelship", "runs"))).rejects.toThrow();
  });
});
