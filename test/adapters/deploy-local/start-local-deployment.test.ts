import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DeployStateSchema } from "../../../core/rollout/deploy-state.ts";
import { startLocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import type { LocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import { localDeployments, testDeployConfig } from "./deploy-fixtures.ts";
import { processAlive } from "../../../runners/router/stop-orphan-slots.ts";

const fx = localDeployments("deploy");
const start = fx.start;

/** One inference through the public router port: which colour and version answered. */
async function infer(url: string): Promise<{ status: number; slot: string | null; version: string | null }> {
  const res = await fetch(`${url}/v2/models/iris/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
    }),
  });
  await res.arrayBuffer();
  return {
    status: res.status,
    slot: res.headers.get("x-modelship-slot"),
    version: res.headers.get("x-modelship-version"),
  };
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("startLocalDeployment (real slots, real ONNX models)", () => {
  it("deploys, moves traffic to the new colour, stops the old one after the delay, and rolls back", async () => {
    const { d, env, stateDir } = await start();
    expect((await infer(d.url)).status).toBe(503);

    const first = await d.deploy(fx.models.v1);
    expect(first).toMatchObject({
      outcome: "succeeded",
      reason: "promoted",
      colour: "blue",
      version: "1.0.0",
      fromVersion: null,
    });
    expect(await infer(d.url)).toEqual({ status: 200, slot: "blue", version: "1.0.0" });
    const bluePid = (await d.status()).slots.blue?.pid as number;
    expect(processAlive(bluePid)).toBe(true);

    const second = await d.deploy(fx.models.v2);
    expect(second).toMatchObject({
      outcome: "succeeded",
      reason: "promoted",
      colour: "green",
      version: "2.0.0",
      fromVersion: "1.0.0",
    });
    expect(second.timeline.filter((e) => e.accepted).map((e) => e.to)).toEqual([
      "starting-preview",
      "waiting-ready",
      "analysing",
      "switching",
      "post-switch-check",
      "draining",
    ]);
    expect(second.analysis.preSwitch).toMatchObject({ pass: true, observed: { requests: 5, errors: 0 } });
    expect(await infer(d.url)).toEqual({ status: 200, slot: "green", version: "2.0.0" });
    // Blue stays warm for scaleDownDelaySeconds, then goes.
    expect((await d.status()).slots.blue).not.toBeNull();
    await waitFor(async () => (await d.status()).slots.blue === null);
    await waitFor(() => !processAlive(bluePid));

    const status = await d.status();
    expect(status).toMatchObject({
      active: { colour: "green", version: "2.0.0", modelDir: fx.models.v2.modelDir },
      previous: { version: "1.0.0", modelDir: fx.models.v1.modelDir },
      current: null,
    });
    expect(status.history.map((h) => [h.version, h.outcome, h.reason, h.phase])).toEqual([
      ["1.0.0", "succeeded", "promoted", "complete"],
      ["2.0.0", "succeeded", "promoted", "complete"],
    ]);
    const onDisk = DeployStateSchema.parse(JSON.parse(await readFile(join(stateDir, `${env}.json`), "utf8")));
    expect(onDisk.active).toMatchObject({ colour: "green", version: "2.0.0" });
    expect(onDisk.router?.url).toBe(d.url);

    const back = await d.rollback({ waitForScaleDown: true });
    expect(back).toMatchObject({
      kind: "rollback",
      outcome: "succeeded",
      colour: "blue",
      version: "1.0.0",
      fromVersion: "2.0.0",
      phase: "complete",
    });
    expect(await infer(d.url)).toEqual({ status: 200, slot: "blue", version: "1.0.0" });
    expect((await d.status()).previous?.version).toBe("2.0.0");
    expect((await d.status()).slots.green).toBeNull();
  });

  it.each([
    ["a model file onnxruntime cannot load", "unloadable", ["slot-crashed", "ready-timeout"]],
    ["a model whose every inference fails", "failingInference", ["smoke-failed"]],
  ] as const)("rolls back %s before any traffic reaches it", async (_name, which, reasons) => {
    const { d } = await start();
    await d.deploy(fx.models.v1);
    const failed = await d.deploy(fx.models[which], { waitForScaleDown: true });
    expect(failed.outcome).toBe("rolled-back");
    expect(reasons).toContain(failed.reason);
    expect(failed.timeline.map((e) => e.to)).not.toContain("switching");
    expect(failed.phase).toBe("rolled-back");
    expect(await infer(d.url)).toEqual({ status: 200, slot: "blue", version: "1.0.0" });
    const status = await d.status();
    expect(status.slots.green).toBeNull();
    expect(status.active?.version).toBe("1.0.0");
    expect(status.history.at(-1)).toMatchObject({
      version: which === "unloadable" ? "9.9.9-broken" : "9.9.9-failing",
      outcome: "rolled-back",
    });
  });

  it.each([
    [
      "its latency gate is impossible",
      { analysis: { maxLatencyP95Ms: 0.001 } },
      "analysis-latency",
      /latency p95 .* ms is above the limit 0 ms/,
    ],
    ["it cannot be ready in time", { readyTimeoutSeconds: 0.05 }, "ready-timeout", /slot blue/],
  ] as const)(
    "fails a first deploy when %s, leaving nothing live",
    async (_name, change, reason, message) => {
      const config = testDeployConfig("analysis" in change ? change.analysis : {});
      if ("readyTimeoutSeconds" in change) config.health.readyTimeoutSeconds = change.readyTimeoutSeconds;
      const { d } = await start({ config });
      const r = await d.deploy(fx.models.v1, { waitForScaleDown: true });
      expect(r).toMatchObject({ outcome: "failed", reason, phase: "failed" });
      expect(r.message).toMatch(message);
      expect((await infer(d.url)).status).toBe(503);
      const status = await d.status();
      expect(status.active).toBeNull();
      expect(status.slots).toEqual({ blue: null, green: null });
    },
  );

  it("switches traffic back when the new colour dies during the post-switch check", async () => {
    let d: LocalDeployment | null = null;
    let killed: number | null = null;
    ({ d } = await start({
      config: testDeployConfig({ postSwitchSeconds: 1.5 }),
      onTransition: (_id, e) => {
        if (e.to !== "post-switch-check" || !e.accepted || !d) return;
        void d.status().then((s) => {
          if (s.active?.version !== "2.0.0") return;
          killed = s.slots.green?.pid ?? null;
          if (killed) process.kill(killed, "SIGKILL");
        });
      },
    }));
    await d.deploy(fx.models.v1);
    const r = await d.deploy(fx.models.v2, { waitForScaleDown: true });
    expect(killed).not.toBeNull();
    expect(r.outcome).toBe("rolled-back");
    expect(["slot-crashed", "post-switch-failed"]).toContain(r.reason);
    expect(r.timeline.filter((e) => e.accepted).map((e) => e.to)).toEqual(
      expect.arrayContaining(["post-switch-check", "switching-back", "rolling-back", "rolled-back"]),
    );
    expect(await infer(d.url)).toEqual({ status: 200, slot: "blue", version: "1.0.0" });
    expect((await d.status()).active?.version).toBe("1.0.0");
    const status = await d.status();
    expect(status.previous).toBeNull();
    expect(status.slots.green).toBeNull();
  });

  it("brings back what was live when restarted with restore, keeping the history", async () => {
    const { d, env, stateDir } = await start();
    await d.deploy(fx.models.v1);
    await d.deploy(fx.models.v2);
    await d.close();
    const stopped = DeployStateSchema.parse(
      JSON.parse(await readFile(join(stateDir, `${env}.json`), "utf8")),
    );
    expect(stopped).toMatchObject({
      router: null,
      active: { version: "2.0.0" },
      slots: { blue: null, green: null },
    });

    const { d: again } = await start({ env, stateDir, restore: true });
    expect(await infer(again.url)).toMatchObject({ status: 200, version: "2.0.0" });
    const status = await again.status();
    expect(status.previous?.version).toBe("1.0.0");
    expect(status.history.map((h) => h.version)).toEqual(["1.0.0", "2.0.0", "2.0.0"]);
  });

  it("refuses to start a second router on a port already in use", async () => {
    const { d, env, stateDir } = await start();
    const port = Number(new URL(d.url).port);
    const err = await startLocalDeployment({
      env,
      port,
      stateDir,
      config: testDeployConfig(),
      admin: false,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ModelshipError", code: "port-in-use" });
  });

  it("loses no request under steady concurrent load while a new version takes over", async () => {
    const { d } = await start();
    await d.deploy(fx.models.v1);
    const tally = { ok: 0, failed: 0, v1: 0, v2: 0, failures: [] as string[] };
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await infer(d.url);
          if (r.status === 200) {
            tally.ok++;
            if (r.version === "1.0.0") tally.v1++;
            if (r.version === "2.0.0") tally.v2++;
          } else {
            tally.failed++;
            tally.failures.push(`HTTP ${r.status}`);
          }
        } catch (err) {
          tally.failed++;
          tally.failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const r = await d.deploy(fx.models.v2, { waitForScaleDown: true });
    const switchMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    expect(r.outcome).toBe("succeeded");
    expect(tally.failures).toEqual([]);
    expect(tally.v1).toBeGreaterThan(0);
    expect(tally.v2).toBeGreaterThan(0);
    console.info(
      `load during switch: ${tally.ok} ok, ${tally.failed} failed, rollout ${Math.round(switchMs)} ms`,
    );
  });

  it("restarts a live slot killed outside a rollout within seconds, and status says so meanwhile", async () => {
    const { d } = await start();
    await d.deploy(fx.models.v1);
    const pid = (await d.status()).slots.blue?.pid;
    expect(pid).toBeTypeOf("number");
    const tally = { ok: 0, failed: 0, lastFailAt: 0 };
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const r = await infer(d.url).catch(() => ({ status: 0 }));
        if (r.status === 200) tally.ok++;
        else [tally.failed, tally.lastFailAt] = [tally.failed + 1, performance.now()];
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const workers = Array.from({ length: 2 }, worker);
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = performance.now();
    process.kill(pid as number, "SIGKILL");
    const seen = new Set<string>();
    await waitFor(async () => {
      const s = await d.status();
      seen.add(s.health?.state ?? "none");
      return s.health?.state === "serving" && s.slots.blue?.pid !== pid;
    }, 15_000);
    const okBefore = tally.ok;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    expect(seen).toContain("restarting");
    expect(tally.ok).toBeGreaterThan(okBefore);
    expect(processAlive(pid as number)).toBe(false);
    const recoveryMs = Math.max(0, tally.lastFailAt - killedAt);
    expect(recoveryMs).toBeLessThan(10_000);
    const s = await d.status();
    expect(s).toMatchObject({
      active: { version: "1.0.0", colour: "blue" },
      health: { state: "serving", restarts: 1 },
    });
    console.info(
      `kill -9 of the live slot: ${tally.failed} failed requests, recovered in ${Math.round(recoveryMs)} ms`,
    );
  });
});
