import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { actionlintFindings, parserErrors } from "./lint-workflow.ts";
import { buildDeployment, SERVE_UID } from "../../core/kubernetes/build-deployment.ts";
import { ConfigSchema } from "../../core/config/schema.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const DOCKERFILE = join(ROOT, "templates", "docker", "Dockerfile.serve");

/** Dockerfile instructions with continuation lines joined and comments dropped. */
async function instructions(): Promise<Array<{ op: string; args: string }>> {
  const text = (await readFile(DOCKERFILE, "utf8"))
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: (op as string).toUpperCase(), args: rest.join(" ") };
    });
}

describe("templates/docker/Dockerfile.serve", () => {
  it("builds one generic image from this repository's checkout: the lockfile's dependencies, no install scripts, no model", async () => {
    const ins = await instructions();
    const one = (op: string) => ins.filter((i) => i.op === op);
    const args = Object.fromEntries(one("ARG").map((a) => a.args.split("=") as [string, string]));
    expect(args["NODE_VERSION"]).toBe("24");
    expect(one("FROM").map((f) => f.args)).toEqual(["node:${NODE_VERSION}-bookworm-slim"]);
    const run = one("RUN")
      .map((r) => r.args)
      .join(" ");
    expect(run).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
    expect(run).not.toMatch(/npm (pack|install)/);
    expect(
      one("ENV")
        .map((e) => e.args)
        .join(" "),
    ).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
    const copies = one("COPY").map((c) => c.args);
    expect(copies[0]).toBe("package.json package-lock.json ./");
    for (const dir of ["bin", "cli", "core", "adapters", "runners"])
      expect(copies).toContain(`${dir}/ ${dir}/`);
    expect(copies.some((c) => c.includes("models"))).toBe(false);
    // Every file the copied sources import at run time must be copied too.
    for (const c of copies) {
      for (const src of c.split(" ").slice(0, -1))
        await readFile(join(ROOT, src)).catch(async () => readdir(join(ROOT, src)));
    }
    // Non-root: the `node` user of the official image has the uid the pod security context pins.
    expect(one("USER").map((u) => u.args)).toEqual(["node"]);
    expect(SERVE_UID).toBe(1000);
    const health = one("HEALTHCHECK")[0]?.args ?? "";
    expect(health).toMatch(/\/v2\/health\/ready/);
    expect(health).toMatch(/r\.status === 200/);
    expect(JSON.parse(one("ENTRYPOINT")[0]?.args ?? "null")).toEqual(["modelship"]);
    const cmd = JSON.parse(one("CMD").at(-1)?.args ?? "null") as string[];
    // The Deployment's container args are the same command with the model's name and version added,
    // and the prediction log's flags (its volume exists only in the pod).
    const { deploy } = ConfigSchema.parse({});
    const d = buildDeployment(
      { kubernetes: deploy.kubernetes, environment: "production" },
      { model: { name: "iris", version: "1.0.0", modelUri: "/models/model" }, colour: "blue" },
    ).toJSON() as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
    const podArgs = d.spec.template.spec.containers[0]?.args ?? [];
    const added = [
      "--name",
      "--model-version",
      "--prediction-log",
      "--log-sample-rate",
      "--log-max-mb",
      "--log-rotate-mb",
      "--log-max-record-kb",
    ];
    expect(podArgs).toContain("--prediction-log");
    expect(podArgs.filter((a, i) => !added.includes(a) && !added.includes(podArgs[i - 1] ?? ""))).toEqual(
      cmd,
    );
  });

  it("installs from the lockfile with onnxruntime-node's download skipped, as package.json's allowScripts says", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      allowScripts: Record<string, boolean>;
    };
    expect(pkg.allowScripts["onnxruntime-node"]).toBe(false);
    await readFile(join(ROOT, "package-lock.json"));
  });
});

describe("templates/workflows/modelship-serve-image.yml", () => {
  const WORKFLOW = join(ROOT, "templates", "workflows", "modelship-serve-image.yml");

  it("passes GitHub's workflow parser and actionlint", async () => {
    const content = await readFile(WORKFLOW, "utf8");
    expect(parserErrors("modelship-serve-image.yml", content)).toEqual([]);
    expect(await actionlintFindings("modelship-serve-image.yml", content, [])).toEqual([]);
  });

  it("pins every action to a full commit SHA, keeps no credentials, and builds Dockerfile.serve from the checked-out commit", async () => {
    const wf = parse(await readFile(WORKFLOW, "utf8")) as {
      permissions: unknown;
      jobs: Record<
        string,
        {
          permissions: Record<string, string>;
          steps: Array<{ uses?: string; with?: Record<string, unknown> }>;
        }
      >;
    };
    expect(wf.permissions).toEqual({});
    const job = wf.jobs["build"];
    expect(job?.permissions).toEqual({ contents: "read", packages: "write" });
    const uses = (job?.steps ?? []).flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses.map((u) => u.split("@")[0])).toEqual([
      "actions/checkout",
      "docker/setup-buildx-action",
      "docker/login-action",
      "docker/build-push-action",
    ]);
    for (const u of uses) expect(u).toMatch(/@[0-9a-f]{40}$/);
    const steps = job?.steps ?? [];
    expect(steps.find((s) => s.uses?.startsWith("actions/checkout"))?.with).toMatchObject({
      "persist-credentials": false,
    });
    expect(steps.find((s) => s.uses?.startsWith("docker/build-push-action"))?.with).toMatchObject({
      context: ".",
      file: "templates/docker/Dockerfile.serve",
    });
  });
});
