import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "./run-cli.ts";
import { removeTestDir, stopCli } from "./stop-cli.ts";

const FAST = ["--set", "epochs=12", "--no-progress"];

describe("modelship run: the whole loop on one machine", () => {
  let server: ReturnType<typeof spawn> | undefined;
  let cwd = "";
  afterAll(async () => {
    if (server) await stopCli(server);
    await removeTestDir(cwd);
  });

  it("trains, registers, deploys and serves; a second run compares with production and switches", async () => {
    cwd = await mkdtemp(join(tmpdir(), "ms-run-"));
    const ws = join(cwd, "ws");

    // First run keeps serving in the foreground, as `npm start` does.
    server = spawn(
      process.execPath,
      [BIN, "run", "--example", "penguins", "--workspace", ws, "--port", "0", ...FAST],
      {
        cwd,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    server.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    server.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no serving line:\n${out}\n${err}`)), 90_000);
      server?.stderr?.on("data", () => {
        const m = /Serving penguins v1\.0\.0 on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      server?.on("exit", (code) => reject(new Error(`run exited ${code}:\n${out}\n${err}`)));
    });
    expect(out).toMatch(/PASSED \(no-baseline-gates-passed\)/);
    expect(err).toMatch(/register: penguins v1\.0\.0 \(created, first-version/);

    // The curl the run printed works against the router.
    const body = /-d '(.+)'/.exec(err)?.[1];
    expect(body).toBeDefined();
    const first = await fetch(`${url}/v2/models/penguins/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body!,
    });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-modelship-version")).toBe("1.0.0");
    const firstColour = first.headers.get("x-modelship-slot");

    // Second run with other params: compared with v1.0.0 in production, registered, switched.
    const second = await runCli(
      ["run", "--example", "penguins", "--workspace", ws, ...FAST, "--set", "learningRate=0.02"],
      {
        cwd,
      },
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/baseline v1\.0\.0|v1\.0\.0/);
    expect(second.stderr).toMatch(/register: penguins v1\.0\.1/);
    expect(second.stderr).toMatch(/deploy of v1\.0\.1 succeeded: (blue|green) is live \(was v1\.0\.0\)/);
    expect(second.stderr).toMatch(/served by the router already running/);

    const after = await fetch(`${url}/v2/models/penguins/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body!,
    });
    expect(after.status).toBe(200);
    expect(after.headers.get("x-modelship-version")).toBe("1.0.1");
    expect(after.headers.get("x-modelship-slot")).not.toBe(firstColour);

    const history = await runCli(["models", "history", "production", "--json"], { cwd: ws });
    expect((JSON.parse(history.stdout) as { version: string }[]).map((e) => e.version)).toEqual([
      "1.0.1",
      "1.0.0",
    ]);

    // `status` and `rollback` drive the same running router from another process.
    const status = await runCli(["status", "--json"], { cwd: ws });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      active: { version: "1.0.1" },
      previous: { version: "1.0.0" },
    });
    const rollback = await runCli(["rollback"], { cwd: ws });
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/rollback of v1\.0\.0 succeeded/);
    const back = await fetch(`${url}/v2/models/penguins/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body!,
    });
    expect(back.headers.get("x-modelship-version")).toBe("1.0.0");
    const afterRollback = await runCli(["models", "history", "production", "--json"], { cwd: ws });
    expect((JSON.parse(afterRollback.stdout) as { version: string }[])[0]?.version).toBe("1.0.0");

    // Ctrl-C stops the router and both slots cleanly.
    const exited = new Promise<number | null>((resolve) => server?.on("exit", resolve));
    server.kill("SIGINT");
    expect(await exited).toBe(0);
  }, 240_000);
});
