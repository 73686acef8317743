/** The router alone in a process, sending everything to SLOT_URL; prints its listening line. Used by router.bench.ts. */
import { startRouter } from "../runners/router/router.ts";

const router = await startRouter({ port: 0 });
router.setSlot("blue", { url: process.env["SLOT_URL"]!, version: "bench" });
router.switchTo("blue");
process.stdout.write(`${JSON.stringify({ event: "listening", url: router.url, port: router.port })}\n`);
process.on("SIGTERM", () => void router.close().then(() => process.exit(0)));
