import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectLocalDeployment } from "../../../adapters/deploy-local/connect-local-deployment.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { writeDeployModels } from "./deploy-fixtures.ts";

const ROUTER_MAIN = fileURLToPath(new URL("../../../runners/router/router-main.ts", import.meta.url));

let root: string;
let stateDir: string;
let router: ChildProcess;
let listening: { url: string; adminUrl: string; environment: string };
let models: Awaited<ReturnType<typeof writeDeployModels>>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modelship-connect-"));
  stateDir = join(root, "state");
  models = await writeDeployModels(join(root, "models"));
  const config = join(root, "modelship.yml");
  await writeFile(
    config,
    [
      "deploy:",
      "  environment: staging",
      "  health: { readyTimeoutSeconds: 20, intervalMs: 50 }",
      "  analysis: { smokeRequests: 3, maxLatencyP95Ms: 2000, postSwitchSeconds: 0.3 }",
      "  scaleDownDelaySeconds: 0.2",
      "",
    ].join("\n"),
  );
  router = spawn(
    process.execPath,
    [ROUTER_MAIN, "--config", config, "--port", "0", "--state-dir", stateDir],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  const lines = createInterface({ input: router.stdout! });
  listening = await new Promise((resolve, reject) => {
    lines.once("line", (line) => resolve(JSON.parse(line) as typeof listening));
    router.once("exit", (code) => reject(new Error(`router exited with ${code}`)));
  });
});

afterAll(async () => {
  if (router.exitCode === null) {
    const exited = new Promise((r) => router.once("exit", r));
    router.kill("SIGTERM");
    await exited;
  }
  await rm(root, { recursive: true, force: true });
});

describe("connectLocalDeployment (a router started by another process)", () => {
  it("deploys, reports status and rolls back through the admin surface", async () => {
    expect(listening.environment).toBe("staging");
    const remote = await connectLocalDeployment(stateDir, "staging");
    expect(remote.url).toBe(listening.url);

    expect(await remote.deploy(models.v1)).toMatchObject({
      outcome: "succeeded",
      colour: "blue",
      version: "1.0.0",
    });
    expect(await remote.deploy(models.v2)).toMatchObject({
      outcome: "succeeded",
      colour: "green",
      version: "2.0.0",
    });
    const live = await fetch(`${listening.url}/v2/health/ready`);
    expect(live.headers.get("x-modelship-version")).toBe("2.0.0");
    await live.arrayBuffer();

    const status = await remote.status();
    expect(status).toMatchObject({
      environment: "staging",
      active: { version: "2.0.0" },
      previous: { version: "1.0.0" },
    });
    expect(status.traffic.find((t) => t.slot === "green")).toMatchObject({
      version: "2.0.0",
      variant: "stable",
      weight: 100,
    });

    expect(await remote.rollback()).toMatchObject({
      kind: "rollback",
      outcome: "succeeded",
      version: "1.0.0",
    });
    expect((await remote.status()).active?.version).toBe("1.0.0");
  });

  it("reports a deploy the router refuses as a ModelshipError with its reason code", async () => {
    const remote = await connectLocalDeployment(stateDir, "staging");
    const err = await remote
      .deploy({ name: "iris", version: "4.0.0", modelDir: join(root, "missing") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("model-not-found");
  });

  it("keeps the admin token in a file only the owner can read, and refuses requests without it", async () => {
    const file = join(stateDir, "staging.admin.json");
    expect((await stat(file)).mode & 0o077).toBe(0);
    const admin = JSON.parse(await readFile(file, "utf8")) as { url: string; token: string };
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${admin.token}x`]) {
      const res = await fetch(`${admin.url}/v1/rollback`, {
        method: "POST",
        ...(authorization ? { headers: { authorization } } : {}),
      });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    }
  });

  it("says the router is not running for an environment nobody started", async () => {
    const err = await connectLocalDeployment(stateDir, "nowhere").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("router-not-running");
    expect((err as ModelshipError).problems[0]?.hint).toContain("modelship up --env nowhere");
  });
});
