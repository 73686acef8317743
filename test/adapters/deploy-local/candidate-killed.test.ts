import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import type { LocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import { testDeployConfig, writeDeployModels } from "./deploy-fixtures.ts";

let root: string;
let models: Awaited<ReturnType<typeof writeDeployModels>>;
const open: LocalDeployment[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modelship-killed-"));
  models = await writeDeployModels(join(root, "models"));
});

afterAll(async () => {
  for (const d of open.splice(0)) await d.close();
  await rm(root, { recursive: true, force: true });
});

const GOOD = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});

/** Clients sending good requests back to back until stopped; every answer but a 200 is a failure. */
function load(url: string, clients: number) {
  const failures: string[] = [];
  let ok = 0;
  let stop = false;
  const client = async () => {
    while (!stop) {
      try {
        const res = await fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD });
        const body = await res.text();
        if (res.status === 200) ok++;
        else failures.push(`HTTP ${res.status} ${body.slice(0, 80)}`);
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const running = Array.from({ length: clients }, client);
  return async () => {
    stop = true;
    await Promise.all(running);
    return { ok, failures };
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("answers every request from the warm colour when the candidate is killed during its post-switch check", async () => {
  let d: LocalDeployment | null = null;
  let killed = false;
  d = await startLocalDeployment({
    env: "killed",
    port: 0,
    stateDir: join(root, "state"),
    config: testDeployConfig({ postSwitchSeconds: 1.5 }),
    admin: false,
    onTransition: (_id, e) => {
      if (e.to !== "post-switch-check" || !e.accepted) return;
      setTimeout(() => {
        void d?.status().then((s) => {
          const pid = s.slots.green?.pid;
          if (s.active?.version !== "2.0.0" || !pid) return;
          process.kill(pid, "SIGKILL");
          killed = true;
        });
      }, 300);
    },
  });
  open.push(d);
  await d.deploy(models.v1);
  const stop = load(d.url, 3);
  await settle(200);
  const r = await d.deploy(models.v2, { waitForScaleDown: true });
  await settle(300);
  const t = await stop();
  console.info(`candidate kill -9 during its post-switch check: ${t.ok} ok, ${t.failures.length} failed`);
  expect(killed).toBe(true);
  expect(r.outcome).toBe("rolled-back");
  // The crash, or the check that saw the dropped requests, ends it: never a promotion.
  expect(["slot-crashed", "post-switch-failed"]).toContain(r.reason);
  expect(t.failures).toEqual([]);
  expect(t.ok).toBeGreaterThan(0);
  expect((await d.status()).active?.version).toBe("1.0.0");
});
