import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectLocalDeployment } from "../../adapters/deploy-local/connect-local-deployment.ts";
import { readDeployState } from "../../adapters/deploy-local/deploy-state-file.ts";
import { startLocalDeployment } from "../../runners/router/start-local-deployment.ts";
import { localDeployments, testDeployConfig } from "../adapters/deploy-local/deploy-fixtures.ts";
import { processAlive } from "../../runners/router/stop-orphan-slots.ts";
import { BIN } from "./run-cli.ts";
import { removeTestDir, stopCli } from "./stop-cli.ts";

const CONFIG = `model: { name: iris, task: classification, target: species }
deploy:
  health: { readyTimeoutSeconds: 20, intervalMs: 50 }
  analysis: { smokeRequests: 5, maxErrorRate: 0, maxLatencyP95Ms: 2000, postSwitchSeconds: 3 }
  scaleDownDelaySeconds: 0.3
`;

const fx = localDeployments("up-signals");
const spawned: ChildProcess[] = [];

// After-all hooks run last-registered first: the routers, and any slots a killed one left, stop
// before the fixture's own removal (which then finds nothing left).
afterAll(async () => {
  await Promise.all(spawned.map((c) => stopCli(c)));
  await removeTestDir(fx.root);
});

/** A repository whose production environment last served v1 (a router ran and stopped). */
async function repoWithV1(name: string): Promise<{ repo: string; stateDir: string }> {
  const repo = join(fx.root, name);
  await mkdir(join(repo, ".github"), { recursive: true });
  await writeFile(join(repo, ".github/modelship.yml"), CONFIG);
  const stateDir = join(repo, ".modelship", "deploy");
  const d = await startLocalDeployment({
    env: "production",
    port: 0,
    stateDir,
    config: testDeployConfig(),
    admin: false,
  });
  expect(await d.deploy(fx.models.v1)).toMatchObject({ outcome: "succeeded" });
  await d.close();
  return { repo, stateDir };
}

/** Process ids whose parent is `pid` (the slots a router spawned). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

function up(repo: string) {
  const child = spawn(process.execPath, [BIN, "up", "--port", "0"], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.push(child);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, pid: child.pid as number, exited, output: () => output };
}

/** Once the router serves 1.0.0, asks it (through its admin surface) to roll out 2.0.0, without waiting. */
async function startRolloutToV2(stateDir: string): Promise<void> {
  await waitFor(async () => {
    const s = await readDeployState(stateDir, "production", new Date());
    return s.router && s.active?.version === "1.0.0" && s.current === null;
  });
  const remote = await connectLocalDeployment(stateDir, "production");
  void remote.deploy(fx.models.v2).catch(() => undefined);
}

/** SIGTERM, then: the process ends, none of its slots outlive it, and the file names what to restore. */
async function terminate(u: ReturnType<typeof up>, stateDir: string) {
  const slots = await childrenOf(u.pid);
  u.child.kill("SIGTERM");
  const code = await u.exited;
  const orphans = slots.filter(processAlive);
  const state = await readDeployState(stateDir, "production", new Date());
  return { code, slots, orphans, state };
}

describe("SIGTERM to `modelship up` leaves no slot behind", () => {
  it("while it restores the last version", async () => {
    const { repo, stateDir } = await repoWithV1("restore");
    const u = up(repo);
    await waitFor(async () => (await childrenOf(u.pid)).length > 0);
    const r = await terminate(u, stateDir);
    expect(r.slots.length, u.output()).toBeGreaterThan(0);
    expect(r.orphans).toEqual([]);
    expect(r.state.router).toBeNull();
    expect(r.state.active?.version).toBe("1.0.0");
    expect(r.state.slots).toEqual({ blue: null, green: null });
    expect(r.state.current).toBeNull();
  });

  it.each([
    ["while the new version starts", "starting-preview"],
    ["after traffic moved, before the check passed", "post-switch-check"],
  ])("during a rollout (%s)", async (_name, phase) => {
    const { repo, stateDir } = await repoWithV1(`rollout-${phase}`);
    const u = up(repo);
    await startRolloutToV2(stateDir);
    await waitFor(async () => {
      const s = await readDeployState(stateDir, "production", new Date());
      return s.current?.phase === phase && (await childrenOf(u.pid)).length === 2;
    });
    const r = await terminate(u, stateDir);
    expect(r.code, u.output()).toBe(0);
    expect(r.slots).toHaveLength(2);
    expect(r.orphans).toEqual([]);
    expect(r.state.active?.version).toBe("1.0.0");
    expect(r.state.slots).toEqual({ blue: null, green: null });
    expect(r.state.history.at(-1)).toMatchObject({ version: "2.0.0", outcome: "rolled-back" });
  });
});

describe("a router killed mid-rollout and started again", () => {
  it("stops the slots it left, brings back the last promoted version and not the unconfirmed one", async () => {
    const { repo, stateDir } = await repoWithV1("killed");
    const first = up(repo);
    await startRolloutToV2(stateDir);
    // Traffic is on 2.0.0, its post-switch check has not passed yet.
    await waitFor(async () => {
      const s = await readDeployState(stateDir, "production", new Date());
      return s.current?.phase === "post-switch-check" && s.active?.version === "2.0.0";
    });
    const left = await childrenOf(first.pid);
    expect(left).toHaveLength(2);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(left.filter(processAlive)).toHaveLength(2);

    const second = up(repo);
    const s = await waitFor(async () => {
      const st = await readDeployState(stateDir, "production", new Date());
      return st.router?.pid === second.pid && st.current === null && st.active ? st : null;
    });
    expect(left.filter(processAlive), second.output()).toEqual([]);
    expect(s.active?.version).toBe("1.0.0");
    // The cut-off rollout is recorded as rolled back; the restore after it brought 1.0.0 back.
    expect(s.history.slice(-2)).toMatchObject([
      { version: "2.0.0", outcome: "rolled-back", reason: "aborted" },
      { version: "1.0.0", outcome: "succeeded" },
    ]);
    const res = await fetch(`${s.router?.url}/v2/models/iris/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
      }),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-modelship-version")).toBe("1.0.0");
    const r = await terminate(second, stateDir);
    expect(r.orphans).toEqual([]);
    expect(r.state.active?.version).toBe("1.0.0");
  });
});
