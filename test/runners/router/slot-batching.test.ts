import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { localDeployments } from "../../adapters/deploy-local/deploy-fixtures.ts";

const fx = localDeployments("slot-batching");

/** The slot's log (its server's stderr), where the server states the batching it runs with. */
const slotLog = (stateDir: string, env: string, colour: string) =>
  readFile(join(stateDir, `${env}.${colour}.log`), "utf8");

describe("local slots run with serve.batching", () => {
  it.each([
    [
      "a window with preferred row counts",
      { maxBatchRows: 16, maxQueueDelayUs: 2000, preferredBatchRows: [4, 8] },
      "batching: up to 16 rows, queue delay 2000 µs, dispatch at 4,8 rows",
    ],
    ["the defaults", {}, "batching: up to 64 rows, queue delay 0 µs, dispatch at 64 rows"],
    ["stacking off", { maxBatchRows: 1 }, "batching: off (--max-batch-rows 1)"],
  ])("%s", async (_label, batching, line) => {
    const { serve } = ConfigSchema.parse({ serve: { batching } });
    const { d, env, stateDir } = await fx.start({ batching: serve.batching });
    const r = await d.deploy(fx.models.v1);
    expect(r.outcome).toBe("succeeded");
    expect(await slotLog(stateDir, env, r.colour)).toContain(line);
    await d.close();
  });
});
