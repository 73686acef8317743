import { describe, expect, it } from "vitest";
import type { LocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import type { Config } from "../../../core/config/schema.ts";
import { REFERENCE_ROWS, localDeployments, testDeployConfig, GOOD_REQUEST } from "./deploy-fixtures.ts";

const fx = localDeployments("verdict");
async function start(config: Config["deploy"] = testDeployConfig()): Promise<LocalDeployment> {
  return (await fx.start({ config })).d;
}

const GARBAGE = [
  "{not json",
  JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [1, 2] }] }),
  JSON.stringify({ inputs: [{ name: "nope", datatype: "FP32", shape: [1, 4], data: [1, 2, 3, 4] }] }),
];

async function send(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/v2/models/iris/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe("the analysis judges the version, not its clients", () => {
  it("promotes a good version while a client sends malformed requests alongside good traffic", async () => {
    const d = await start(testDeployConfig({ maxErrorRate: 0, postSwitchSeconds: 1 }));
    await d.deploy(fx.models.v1);
    const tally = { good: 0, goodFailed: 0, garbage: 0 };
    let stop = false;
    const good = async () => {
      while (!stop) {
        if ((await send(d.url, GOOD_REQUEST)) === 200) tally.good++;
        else tally.goodFailed++;
      }
    };
    const bad = async () => {
      for (let i = 0; !stop; i++)
        if ((await send(d.url, GARBAGE[i % GARBAGE.length]!)) === 400) tally.garbage++;
    };
    const workers = [good(), good(), bad()];
    const r = await d.deploy(fx.models.v2);
    stop = true;
    await Promise.all(workers);
    expect(r).toMatchObject({ outcome: "succeeded", reason: "promoted", version: "2.0.0" });
    const post = r.analysis.postSwitch as { observed: { clientErrors: number; errors: number } };
    expect(post.observed.clientErrors).toBeGreaterThan(0);
    expect(post.observed.errors).toBe(0);
    expect(tally.goodFailed).toBe(0);
    console.info(
      `garbage alongside traffic: ${tally.good} good ok, ${tally.goodFailed} good failed, ${tally.garbage} answered 400; post-switch saw ${post.observed.clientErrors} client errors`,
    );
  });

  it("rolls back a version whose weights are all NaN, with a reason code", async () => {
    const d = await start();
    await d.deploy(fx.models.v1);
    const r = await d.deploy(fx.models.nanWeights, { waitForScaleDown: true });
    expect(r).toMatchObject({
      outcome: "rolled-back",
      reason: "analysis-invalid-output",
      phase: "rolled-back",
    });
    expect(r.message).toMatch(/output-non-finite/);
    expect(r.timeline.map((e) => e.to)).not.toContain("switching");
    expect(r.analysis.preSwitch).toMatchObject({ observed: { invalidOutputs: 5, requests: 5 } });
    expect((await d.status()).active?.version).toBe("1.0.0");
  });

  it("builds smoke requests from the reference rows and compares both versions' answers", async () => {
    const d = await start();
    await d.deploy(fx.models.v1);
    const same = await d.deploy(fx.models.v2);
    expect(same.outcome).toBe("succeeded");
    expect(same.analysis.preSwitch).toMatchObject({
      observed: { agreement: { kind: "classification", rows: REFERENCE_ROWS.rows.length, rate: 1 } },
    });
    const r = await d.deploy(fx.models.disagreeing, { waitForScaleDown: true });
    expect(r).toMatchObject({ outcome: "rolled-back", reason: "analysis-disagreement" });
    expect(r.message).toMatch(
      /agrees with the live one on 0% of 5 reference rows \(classification\), below the floor 80%/,
    );
    expect((await d.status()).active?.version).toBe("2.0.0");
  });

  it("promotes a disagreeing version when the floor is 0", async () => {
    const d = await start(testDeployConfig({ minAgreement: 0 }));
    await d.deploy(fx.models.v1);
    expect((await d.deploy(fx.models.disagreeing)).outcome).toBe("succeeded");
  });
});
