import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../core/config/schema.ts";
import { startUi, type UiServer } from "../../ui/start-ui.ts";
import { makeConfigRepo } from "../cli/config-repo.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
let repo: string;
let ui: UiServer;

beforeAll(async () => {
  repo = await makeConfigRepo({
    config: "model: { name: iris, task: classification, target: species }\n",
    prefix: "ms-ui-api-",
  });
  for (const run of ["iris-baseline", "iris-candidate"])
    await cp(join(FIXTURES, run), join(repo, ".modelship", "runs", run), { recursive: true });
  // A folder that looks like a run but is not readable: listed apart, never fatal.
  await mkdir(join(repo, ".modelship", "runs", "broken"), { recursive: true });
  await writeFile(join(repo, ".modelship", "runs", "broken", "run.json"), "{ not json");
  ui = await startUi({
    repoDir: repo,
    config: ConfigSchema.parse({ model: { name: "iris", task: "classification", target: "species" } }),
    env: "production",
    port: 0,
  });
}, 60_000);

afterAll(async () => {
  await ui?.close();
  await rm(repo, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await fetch(`${ui.url}${path}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};

describe("the dashboard's JSON API", () => {
  it("lists runs as runs list --json does, filters on the server, and reports unreadable ones", async () => {
    const all = await get("/api/runs");
    expect((all.body.runs as unknown[]).length).toBe(2);
    expect(all.body.unreadable).toEqual([
      expect.objectContaining({ path: join(".modelship", "runs", "broken") }),
    ]);
    const none = await get("/api/runs?filter=metrics.accuracy%20%3E%202");
    expect(none.body.runs).toEqual([]);
    const bad = await get("/api/runs?filter=metrics.accuracy%20%3E");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });

  it("gives a run's per-epoch history for learning curves", async () => {
    const runs = (await get("/api/runs")).body.runs as Array<{ id: string }>;
    const one = await get(`/api/runs/${encodeURIComponent(runs[0]!.id)}`);
    const history = one.body.history as Array<Record<string, number>>;
    expect(history.length).toBeGreaterThan(3);
    expect(history[0]).toMatchObject({ epoch: 1, val_loss: expect.any(Number) });
  });

  it("with no router shows the state file's record and refuses actions without the admin token", async () => {
    const status = await get("/api/deployment");
    expect(status.body).toMatchObject({
      serving: false,
      active: null,
      traffic: [],
      environment: "production",
    });
    for (const action of ["rollback", "promote", "abort", "deploy"]) {
      const res = await fetch(`${ui.url}/api/actions/${action}`, {
        method: "POST",
        headers: { authorization: "Bearer guess" },
      });
      expect(res.status, action).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("admin-token-required");
    }
  });

  it("serves the page with a strict Content-Security-Policy and no inline script", async () => {
    const res = await fetch(`${ui.url}/`);
    const html = await res.text();
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(`${ui.url}/app.js`)).status).toBe(200);
  });
});
