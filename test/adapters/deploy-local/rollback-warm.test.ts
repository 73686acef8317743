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
  root = await mkdtemp(join(tmpdir(), "modelship-warm-"));
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
  const versions = new Set<string>();
  let ok = 0;
  let stop = false;
  const client = async () => {
    while (!stop) {
      try {
        const res = await fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD });
        const body = await res.text();
        if (res.status === 200) ok++;
        else failures.push(`HTTP ${res.status} ${body.slice(0, 80)}`);
        versions.add(res.headers.get("x-modelship-version") ?? "");
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const running = Array.from({ length: clients }, client);
  return async () => {
    stop = true;
    await Promise.all(running);
    return { ok, failures, versions };
  };
}

it("rolls back within the scale-down delay onto the still-warm slot without restarting it", async () => {
  const d = await startLocalDeployment({
    env: "warm",
    port: 0,
    stateDir: join(root, "state"),
    config: { ...testDeployConfig(), scaleDownDelaySeconds: 4 },
    admin: false,
  });
  open.push(d);
  await d.deploy(models.v1, { waitForScaleDown: true });
  const stop = load(d.url, 3);
  const promoted = await d.deploy(models.v2);
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
