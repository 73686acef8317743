/**
 * A bare TCP relay to SLOT_URL: each client connection piped to a connection of its own to the
 * slot, bytes as they come, no HTTP parsing and no routing. Used by router.bench.ts as the floor
 * of what any per-connection pass-through in the router's process would cost.
 */
import { connect, createServer, type AddressInfo } from "node:net";

const slot = new URL(process.env["SLOT_URL"]!);
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: slot.hostname, port: Number(slot.port), noDelay: true });
  client.pipe(upstream).pipe(client);
  client.on("error", () => upstream.destroy());
  upstream.on("error", () => client.destroy());
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: "listening", url: `http://127.0.0.1:${port}`, port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
