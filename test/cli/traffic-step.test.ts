import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GOOD_REQUEST, localDeployments } from "../adapters/deploy-local/deploy-fixtures.ts";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
deploy: { port: 0 }
`;

const fx = localDeployments("traffic-step");

/** Share of `n` client requests the candidate answered, by the variant header of each answer. */
async function candidateShare(url: string, n: number): Promise<number> {
  let candidate = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD_REQUEST });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    if (res.headers.get("x-modelship-variant") === "candidate") candidate++;
  }
  return candidate / n;
}

describe("`modelship promote --step` on real local slots", () => {
  it("moves a canary held at a manual pause to its next step, and the split follows", async () => {
    const repo = await makeConfigRepo({ config: CONFIG, dir: join(fx.root, "repo") });
    const { d } = await fx.start({
      env: "production",
      stateDir: join(repo, ".modelship", "deploy"),
      admin: true,
    });
    expect(await d.deploy(fx.models.v1)).toMatchObject({ outcome: "succeeded" });
    const held = await d.deploy({
      ...fx.models.v2,
      plan: { strategy: "canary", steps: [10, 60, 90], pauseMs: null },
    });
    expect(held).toMatchObject({ outcome: "holding" });
    expect((await d.status()).rollout).toMatchObject({ strategy: "canary", step: 1, weight: 10 });
    const before = await candidateShare(d.url, 200);

    const stepped = await runCli(["promote", "--step", "--json"], { cwd: repo, timeoutMs: 60_000 });
    expect(stepped.code, stepped.stderr).toBe(0);
    expect(JSON.parse(stepped.stdout)).toMatchObject({ outcome: "holding", version: "2.0.0" });
    const status = await d.status();
    expect(status.rollout).toMatchObject({ strategy: "canary", phase: "holding", step: 2, weight: 60 });
    expect(status.traffic.find((t) => t.variant === "candidate")).toMatchObject({
      version: "2.0.0",
      weight: 60,
    });
    const after = await candidateShare(d.url, 200);
    console.info(`candidate share of 200 requests: ${before} at step 1 (10%), ${after} at step 2 (60%)`);
    // Unkeyed requests are assigned at random: bounds about 4 standard deviations wide.
    expect(before).toBeLessThan(0.25);
    expect(after).toBeGreaterThan(0.45);
    expect(after).toBeLessThan(0.75);

    const aborted = await runCli(["abort", "--json"], { cwd: repo, timeoutMs: 60_000 });
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse(aborted.stdout)).toMatchObject({ outcome: "rolled-back" });
    expect(await candidateShare(d.url, 20)).toBe(0);
  }, 240_000);
});
