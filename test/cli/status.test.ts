import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "./run-cli.ts";
import { removeTestDir } from "./stop-cli.ts";

type StatusJson = {
  serving: boolean;
  url: string | null;
  environment: string;
  active: { version: string; colour: string; since: string } | null;
  history: { version: string; outcome: string }[];
};

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTestDir(d);
});

describe("status after a real local deploy", () => {
  it("reads the state file when no router runs, and the router while one serves", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "ms-status-"));
    dirs.push(cwd);
    const ws = join(cwd, "ws");

    // Train, register and deploy the example, then stop the router (--no-serve).
    const run = await runCli(
      [
        "run",
        "--example",
        "penguins",
        "--workspace",
        ws,
        "--port",
        "0",
        "--no-serve",
        "--json",
        "--set",
        "epochs=12",
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      record: { runId: string };
      comparison: { passed: boolean };
      registered: { version: { version: string } };
      rollout: { outcome: string; version: string };
    };
    expect(result.comparison.passed).toBe(true);
    expect(result.registered.version.version).toBe("1.0.0");
    expect(result.rollout).toMatchObject({ outcome: "succeeded", version: "1.0.0" });

    const down = await runCli(["status"], { cwd: ws });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/^production: not serving/);
    expect(down.stdout).toMatch(/last live: v1\.0\.0 on (blue|green) since \d{4}-\d\d-\d\dT/);
    const downJson = JSON.parse((await runCli(["status", "--json"], { cwd: ws })).stdout) as StatusJson;
    expect(downJson).toMatchObject({
      serving: false,
      url: null,
      environment: "production",
      active: { version: "1.0.0" },
    });
    expect(downJson.history.at(-1)).toMatchObject({ version: "1.0.0", outcome: "succeeded" });

    // `up` brings it back; its admin file (address and token) is readable by its owner only.
    const up = spawn(process.execPath, [BIN, "up", "--port", "0"], {
      cwd: ws,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    up.stdout.on("data", (d: Buffer) => (out += d.toString()));
    up.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => up.on("exit", resolve));
    try {
      await waitFor(
        () => /serving on http/.test(out),
        60_000,
        () => out,
      );
      const adminFile = join(ws, ".modelship/deploy/production.admin.json");
      expect((await stat(adminFile)).mode & 0o777).toBe(0o600);
      const { token } = JSON.parse(await readFile(adminFile, "utf8")) as { token: string };
      const live = await runCli(["status", "--json"], { cwd: ws });
      expect(JSON.parse(live.stdout)).toMatchObject({ serving: true, active: { version: "1.0.0" } });
      expect(`${out}${live.stdout}${live.stderr}${run.stdout}${run.stderr}`).not.toContain(token);
    } finally {
      up.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    const after = JSON.parse((await runCli(["status", "--json"], { cwd: ws })).stdout) as StatusJson;
    expect(after).toMatchObject({ serving: false, active: { version: "1.0.0" } });
  }, 240_000);
});

async function waitFor(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out:\n${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
