import { expect, it } from "vitest";
import type { LocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import { goodLoad, localDeployments, testDeployConfig } from "./deploy-fixtures.ts";

const fx = localDeployments("killed");

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("answers every request from the warm colour when the candidate is killed during its post-switch check", async () => {
  let d: LocalDeployment | null = null;
  let killed = false;
  ({ d } = await fx.start({
    config: testDeployConfig({ postSwitchSeconds: 1.5 }),
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
  }));
  await d.deploy(fx.models.v1);
  const stop = goodLoad(d.url, 3);
  await settle(200);
  const r = await d.deploy(fx.models.v2, { waitForScaleDown: true });
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
