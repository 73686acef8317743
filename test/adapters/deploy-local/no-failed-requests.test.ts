import { describe, expect, it } from "vitest";
import type {
  LocalDeployment,
  LocalDeploymentOptions,
} from "../../../runners/router/start-local-deployment.ts";
import type { Config } from "../../../core/config/schema.ts";
import { localDeployments, testDeployConfig, GOOD_REQUEST } from "./deploy-fixtures.ts";

const fx = localDeployments("no-fail");
async function start(
  config: Config["deploy"],
  extra: Partial<LocalDeploymentOptions> = {},
): Promise<LocalDeployment> {
  return (await fx.start({ config, ...extra })).d;
}

/**
 * A few clients sending good requests until stopped. A failure the candidate answered itself is
 * the candidate's fault and counted apart; every other failure (the router had no version, a
 * slot was stopped under a request, the connection broke) is one the rollout caused.
 */
function load(url: string, candidate: string | null, clients = 3) {
  // What the NaN model's own server answers; the router's own errors never count as the candidate's.
  const candidateCodes = new Set(["output-non-finite"]);
  const code = (res: Response) => res.headers.get("x-modelship-error-code") ?? "";
  const tally = { ok: 0, candidateFailed: 0, failed: 0, failures: new Map<string, number>() };
  let stop = false;
  const fail = (why: string) => {
    tally.failed++;
    tally.failures.set(why, (tally.failures.get(why) ?? 0) + 1);
  };
  const client = async () => {
    while (!stop) {
      try {
        const res = await fetch(`${url}/v2/models/iris/infer`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: GOOD_REQUEST,
        });
        const body = await res.text();
        if (res.status === 200) tally.ok++;
        else if (res.headers.get("x-modelship-version") === candidate && candidateCodes.has(code(res)))
          tally.candidateFailed++;
        else fail(`HTTP ${res.status} ${code(res)} ${body.slice(0, 60)}`);
      } catch (err) {
        fail(String(err));
      }
    }
  };
  const running = Array.from({ length: clients }, client);
  return {
    tally,
    async stop() {
      stop = true;
      await Promise.all(running);
      return tally;
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("no good request fails while versions come and go", () => {
  it("deploys, rolls back on demand and scales down without a failed request", async () => {
    const d = await start(testDeployConfig());
    await d.deploy(fx.models.v1);
    const l = load(d.url, null);
    await settle(200);
    const promoted = await d.deploy(fx.models.v2, { waitForScaleDown: true });
    const back = await d.rollback({ waitForScaleDown: true });
    await settle(200);
    const t = await l.stop();
    console.info(`deploy + rollback + scale-down: ${t.ok} ok, ${t.failed} failed`, [...t.failures]);
    expect(promoted).toMatchObject({ outcome: "succeeded", version: "2.0.0" });
    expect(back).toMatchObject({ outcome: "succeeded", kind: "rollback", version: "1.0.0" });
    expect([...t.failures]).toEqual([]);
    expect(t.ok).toBeGreaterThan(0);
  });

  it("switches back from a candidate that fails its post-switch check without failing a request", async () => {
    // No pre-switch smoke: the NaN version takes traffic, and the check on that traffic fails it.
    const d = await start(testDeployConfig({ smokeRequests: 0, postSwitchSeconds: 0.8 }));
    await d.deploy(fx.models.v1);
    const l = load(d.url, fx.models.nanWeights.version);
    await settle(200);
    const r = await d.deploy(fx.models.nanWeights, { waitForScaleDown: true });
    await settle(300);
    const t = await l.stop();
    console.info(
      `post-switch failure + switch back: ${t.ok} ok, ${t.candidateFailed} answered by the failing candidate, ${t.failed} failed otherwise`,
      [...t.failures],
    );
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "post-switch-failed" });
    expect(r.timeline.filter((e) => e.accepted).map((e) => e.to)).toEqual(
      expect.arrayContaining(["post-switch-check", "switching-back", "rolling-back", "rolled-back"]),
    );
    expect(t.candidateFailed).toBeGreaterThan(0);
    expect([...t.failures]).toEqual([]);
    expect((await d.status()).active?.version).toBe("1.0.0");
  });

  it("rolls back on demand after a failed candidate without a failed request", async () => {
    const d = await start(testDeployConfig({ smokeRequests: 0, postSwitchSeconds: 0.6 }));
    await d.deploy(fx.models.v1);
    await d.deploy(fx.models.v2, { waitForScaleDown: true });
    const l = load(d.url, fx.models.nanWeights.version);
    await settle(200);
    const failed = await d.deploy(fx.models.nanWeights, { waitForScaleDown: true });
    const back = await d.rollback({ waitForScaleDown: true });
    await settle(200);
    const t = await l.stop();
    console.info(
      `failed candidate, then rollback: ${t.ok} ok, ${t.candidateFailed} answered by the failing candidate, ${t.failed} failed otherwise`,
      [...t.failures],
    );
    expect(failed).toMatchObject({ outcome: "rolled-back", version: fx.models.nanWeights.version });
    expect(back).toMatchObject({ outcome: "succeeded", kind: "rollback", version: "1.0.0" });
    expect([...t.failures]).toEqual([]);
    expect((await d.status()).active?.version).toBe("1.0.0");
  });

  it("switches back when the candidate dies during its post-switch check, failing only what it held", async () => {
    let d: LocalDeployment | null = null;
    let killed = false;
    d = await start(testDeployConfig({ postSwitchSeconds: 1.5 }), {
      onTransition: (_id, e) => {
        if (e.to !== "post-switch-check" || !e.accepted || !d) return;
        setTimeout(() => {
          void d?.status().then((s) => {
            const pid = s.slots.green?.pid;
            if (s.active?.version === "2.0.0" && pid) {
              process.kill(pid, "SIGKILL");
              killed = true;
            }
          });
        }, 300);
      },
    });
    await d.deploy(fx.models.v1);
    const l = load(d.url, null);
    await settle(200);
    const r = await d.deploy(fx.models.v2, { waitForScaleDown: true });
    await settle(300);
    const t = await l.stop();
    console.info(`candidate killed after the switch: ${t.ok} ok, ${t.failed} failed`, [...t.failures]);
    expect(killed).toBe(true);
    expect(r.outcome).toBe("rolled-back");
    // At most the requests the candidate held when it died (one per client).
    expect(t.failed).toBeLessThanOrEqual(3);
    expect((await d.status()).active?.version).toBe("1.0.0");
  });
});
