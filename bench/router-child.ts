/**
 * The router alone in a process; prints its listening line. Used by router.bench.ts.
 *   SLOT_URL=...: proxies everything to that slot (hand-off off);
 *   HANDOFF_MODEL=FILE SLOT_INFO=FILE: spawns its own slot with an IPC channel and hands it
 *   connections, and writes the slot's `{url, pid}` to SLOT_INFO.
 */
import { writeFile } from "node:fs/promises";
import { startRouter } from "../runners/router/router.ts";
import { spawnSlot } from "../runners/router/spawn-slot.ts";

const model = process.env["HANDOFF_MODEL"];
const router = await startRouter({ port: 0, handoff: model !== undefined });
if (model !== undefined) {
  const slot = await spawnSlot({
    colour: "blue",
    target: { modelDir: model, name: "bench", version: "bench" },
    startTimeoutMs: 60_000,
  });
  router.setSlot("blue", {
    url: slot.url,
    version: "bench",
    ...(slot.channel ? { channel: slot.channel } : {}),
  });
  await writeFile(process.env["SLOT_INFO"]!, JSON.stringify({ url: slot.url, pid: slot.pid }));
  process.on("exit", () => void slot.stop(0));
  process.on("SIGTERM", () => void router.close().then(() => slot.stop(5_000).then(() => process.exit(0))));
} else {
  router.setSlot("blue", { url: process.env["SLOT_URL"]!, version: "bench" });
  process.on("SIGTERM", () => void router.close().then(() => process.exit(0)));
}
router.switchTo("blue");
process.stdout.write(`${JSON.stringify({ event: "listening", url: router.url, port: router.port })}\n`);
