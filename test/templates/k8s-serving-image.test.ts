import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDeployment, SERVE_UID } from "../../core/kubernetes/build-deployment.ts";
import { ConfigSchema } from "../../core/config/schema.ts";

const DOCKERFILE = join(import.meta.dirname, "..", "..", "templates", "docker", "Dockerfile.serve");

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
  it("builds on Node 24, installs modelship with onnxruntime-node, bakes the model in, and runs as the Deployment expects", async () => {
    const ins = await instructions();
    const one = (op: string) => ins.filter((i) => i.op === op);
    const args = Object.fromEntries(one("ARG").map((a) => a.args.split("=") as [string, string]));
    expect(args["NODE_VERSION"]).toBe("24");
    expect(one("FROM").map((f) => f.args)).toEqual(["node:${NODE_VERSION}-bookworm-slim"]);
    const run = one("RUN")
      .map((r) => r.args)
      .join(" ");
    expect(run).toMatch(/npm pack "\$\{MODELSHIP_PACKAGE\}"/);
    expect(run).toMatch(/npm install --omit=dev --omit=optional/);
    expect(one("COPY").map((c) => c.args)).toEqual(["${MODEL_DIR}/ /models/model/"]);
    // Non-root: the `node` user of the official image has the uid the pod security context pins.
    expect(one("USER").map((u) => u.args)).toEqual(["node"]);
    expect(SERVE_UID).toBe(1000);
    const health = one("HEALTHCHECK")[0]?.args ?? "";
    expect(health).toMatch(/\/v2\/health\/ready/);
    expect(health).toMatch(/r\.status === 200/);
    expect(JSON.parse(one("ENTRYPOINT")[0]?.args ?? "null")).toEqual(["modelship"]);
    const cmd = JSON.parse(one("CMD").at(-1)?.args ?? "null") as string[];
    // The Deployment's container args are the same command with the model's name added.
    const { deploy } = ConfigSchema.parse({});
    const d = buildDeployment(
      { kubernetes: deploy.kubernetes, environment: "production" },
      { model: { name: "iris", version: "1.0.0", modelUri: "/models/model" }, colour: "blue" },
    ).toJSON() as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
    const podArgs = d.spec.template.spec.containers[0]?.args ?? [];
    expect(podArgs.filter((a, i) => a !== "--name" && podArgs[i - 1] !== "--name")).toEqual(cmd);
  });
});
