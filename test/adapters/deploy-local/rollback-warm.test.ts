import { expect, it } from "vitest";
import { goodLoad, localDeployments, testDeployConfig } from "./deploy-fixtures.ts";

const fx = localDeployments("warm");

it("rolls back within the scale-down delay onto the still-warm slot without restarting it", async () => {
  const { d } = await fx.start({ config: { ...testDeployConfig(), scaleDownDelaySeconds: 4 } });
  await d.deploy(fx.models.v1, { waitForScaleDown: true });
  const stop = goodLoad(d.url, 3);
  const promoted = await d.deploy(fx.models.v2);
  const before = await d.status();
  const oldColour = before.previous ? (before.active?.colour === "blue" ? "green" : "blue") : null;
  const warmPid = oldColour ? before.slots[oldColour]?.pid : undefined;
  const back = await d.rollback({ waitForScaleDown: true });
  const after = await d.status();
  const t = await stop();
  console.info(`rollback onto the warm slot: ${t.ok} ok, ${t.failures.length} failed`);
  expect(promoted).toMatchObject({ outcome: "succeeded", version: "2.0.0" });
  expect(before.active?.version).toBe("2.0.0");
  expect(warmPid).toEqual(expect.any(Number));
  expect(back).toMatchObject({ outcome: "succeeded", kind: "rollback", version: "1.0.0", colour: oldColour });
  expect(after.active).toMatchObject({ version: "1.0.0", colour: oldColour });
  // The same process serves again: switched back, not restarted.
  expect(after.slots[oldColour!]?.pid).toBe(warmPid);
  expect(after.slots[before.active!.colour]).toBeNull();
  const ended = after.history.find((r) => r.version === "2.0.0");
  expect(ended).toMatchObject({ outcome: "succeeded", phase: "complete" });
  expect(t.failures).toEqual([]);
  expect(t.versions).toEqual(new Set(["1.0.0", "2.0.0"]));
});
