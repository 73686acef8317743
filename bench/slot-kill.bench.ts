/**
 * Live slot killed with SIGKILL under load, with connection hand-off on and off:
 * `node bench/slot-kill.bench.ts [--clients N]`.
 *
 * A local deployment (router in this process) serves the fixture classifier; N keep-alive
 * clients send requests back to back; after 2 s the live slot's process is killed with
 * SIGKILL, and the clients go on for 6 s while the supervisor restarts it. Prints, for each
 * mode, the requests answered 200, those that failed (connection errors and non-200 answers,
 * apart), and the time from the kill to the first 200 from the restarted process.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalDeployment } from "../runners/router/start-local-deployment.ts";
import {
  GOOD_REQUEST,
  testDeployConfig,
  writeDeployModels,
} from "../test/adapters/deploy-local/deploy-fixtures.ts";

type Tally = {
  ok: number;
  errors: Map<string, number>;
  statuses: Map<number, number>;
  recoveredMs: number | null;
};

function post(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname, port: u.port, path: "/v2/models/iris/infer", method: "POST", agent },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(GOOD_REQUEST);
  });
}

async function run(handoff: boolean, clients: number, root: string): Promise<Tally> {
  const models = await writeDeployModels(join(root, `models-${handoff}`));
  const d = await startLocalDeployment({
    env: `kill-${handoff}`,
    port: 0,
    stateDir: join(root, "state"),
    config: { ...testDeployConfig(), handoff },
    admin: false,
  });
  try {
    await d.deploy(models.v1, { waitForScaleDown: true });
    const tally: Tally = { ok: 0, errors: new Map(), statuses: new Map(), recoveredMs: null };
    let killedAt: number | null = null;
    let stop = false;
    const client = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        const sentAfterKill = killedAt !== null;
        try {
          const status = await post(agent, d.url);
          if (status === 200) {
            tally.ok++;
            // Nothing else serves: the first 200 to a request sent after the kill is the restarted slot's.
            if (sentAfterKill && killedAt !== null && tally.recoveredMs === null)
              tally.recoveredMs = performance.now() - killedAt;
          } else tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      agent.destroy();
    };
    const status = await d.status();
    const oldPid = status.slots.blue?.pid ?? status.slots.green?.pid;
    if (!oldPid) throw new Error("no live slot process to kill");
    const running = Array.from({ length: clients }, client);
    await new Promise((r) => setTimeout(r, 2_000));
    killedAt = performance.now();
    process.kill(oldPid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 6_000));
    stop = true;
    await Promise.all(running);
    return tally;
  } finally {
    await d.close();
  }
}

const { values } = parseArgs({ options: { clients: { type: "string", default: "8" } } });
const root = await mkdtemp(join(tmpdir(), "modelship-slot-kill-"));
try {
  for (const handoff of [true, false]) {
    const t = await run(handoff, Number(values.clients), root);
    const errors = [...t.errors].map(([k, v]) => `${k} ${v}`).join(", ") || "none";
    const statuses = [...t.statuses].map(([k, v]) => `HTTP ${k} ${v}`).join(", ") || "none";
    process.stdout.write(
      `hand-off ${handoff ? "on " : "off"}: ${t.ok} answered 200; connection errors: ${errors}; other answers: ${statuses}; first 200 from the restarted slot ${t.recoveredMs === null ? "never" : `${Math.round(t.recoveredMs)} ms`} after the kill\n`,
    );
  }
  process.stdout.write(`${values.clients} keep-alive clients, node ${process.version}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
