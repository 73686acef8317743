import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { APP_EVENTS } from "../../bot/app.ts";
import { Redis } from "ioredis";
import { HAS_REDIS, startRedisServer } from "../support/redis-server.ts";
import { examplePayload, generateAppKey } from "./bot-harness.ts";
import { freePort } from "../support/free-port.ts";

const ENTRY = ["bin/modelship.js", "bot"];

/** Runs `modelship bot` with exactly `env` until it exits or `until` sees what it waits for. */
function runBot(
  env: Record<string, string>,
  until?: (port: number) => Promise<string | undefined>,
  port = 0,
) {
  return new Promise<{ code: number | null; output: string; seen?: string }>((resolve) => {
    const child = spawn(process.execPath, ENTRY, {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let seen: string | undefined;
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code) => resolve({ code, output, ...(seen !== undefined ? { seen } : {}) }));
    if (until) {
      const poll = async (): Promise<void> => {
        for (let i = 0; i < 300 && child.exitCode === null; i++) {
          seen = await until(port).catch(() => undefined);
          if (seen !== undefined) {
            child.kill("SIGTERM");
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        child.kill("SIGKILL");
      };
      void poll();
    }
  });
}

describe("modelship bot startup", () => {
  it.each([
    { title: "without WEBHOOK_SECRET", secret: undefined, code: "webhook-secret-missing" },
    { title: "with Probot's development fallback", secret: "development", code: "webhook-secret-weak" },
    { title: "with a short secret", secret: "hunter2", code: "webhook-secret-weak" },
  ])("refuses to start in production $title", async ({ secret, code }) => {
    const r = await runBot({
      NODE_ENV: "production",
      APP_ID: "1",
      PRIVATE_KEY: generateAppKey(),
      PORT: String(await freePort()),
      ...(secret !== undefined ? { WEBHOOK_SECRET: secret } : {}),
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`[${code}]`);
    expect(r.output).not.toContain("Listening on");
  });

  it("without credentials outside production, serves the setup flow with the app.yml manifest", async () => {
    const port = await freePort();
    const r = await runBot(
      { NO_SMEE_SETUP: "true", PORT: String(port), HOST: "127.0.0.1" },
      async (p) => {
        const res = await fetch(`http://127.0.0.1:${p}/probot`);
        return res.ok ? await res.text() : undefined;
      },
      port,
    );
    expect(r.seen).toBeDefined();
    const html = r.seen!.replace(/&quot;/g, '"').replace(/&#34;/g, '"');
    expect(html).toContain(
      '"default_permissions":{"checks":"write","contents":"write","issues":"write","pull_requests":"write","actions":"write","deployments":"write","statuses":"read","workflows":"write","metadata":"read"}',
    );
  });
});

/**
 * Starts `modelship bot` twice with `env`, delivering the same signed webhook to each once `stored`
 * says the first delivery was recorded: the second process must log it as a duplicate.
 */
async function expectDuplicateAcrossRestart(env: Record<string, string>, stored: () => Promise<boolean>) {
  const secret = env.WEBHOOK_SECRET!;
  const payload = examplePayload("issue_comment", "created");
  delete payload.issue.pull_request;
  const body = JSON.stringify(payload);
  const deliver = async (p: number) =>
    (
      await fetch(`http://127.0.0.1:${p}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "issue_comment",
          "x-github-delivery": "replayed-delivery",
          "x-hub-signature-256": await sign(secret, body),
        },
        body,
      })
    ).status;
  for (const expected of [false, true]) {
    const port = await freePort();
    const r = await runBot(
      { ...env, PORT: String(port) },
      async (p) => ((await deliver(p)) < 300 && (await stored()) ? "ok" : undefined),
      port,
    );
    expect(r.seen, r.output).toBe("ok");
    expect(r.output.includes("duplicate delivery ignored")).toBe(expected);
  }
}

const BOT_ENV = {
  APP_ID: "1",
  HOST: "127.0.0.1",
  LOG_LEVEL: "info",
  WEBHOOK_SECRET: "start-test-webhook-secret-0123456789abcdef",
};

describe("modelship bot with MODELSHIP_DELIVERY_DIR", () => {
  it("keeps delivery ids on disk, so the same delivery is a duplicate for the next process", async () => {
    const dir = await mkdtemp(join(tmpdir(), "modelship-deliveries-"));
    try {
      await expectDuplicateAcrossRestart(
        { ...BOT_ENV, NODE_ENV: "test", PRIVATE_KEY: generateAppKey(), MODELSHIP_DELIVERY_DIR: dir },
        async () => (await readdir(dir)).length === 1,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAS_REDIS)("modelship bot with REDIS_URL", () => {
  it("keeps delivery ids in Redis (Probot's throttling on the same server), so the next process sees a duplicate", async () => {
    const redis = await startRedisServer();
    const client = new Redis(redis.url);
    try {
      await expectDuplicateAcrossRestart(
        { ...BOT_ENV, NODE_ENV: "production", PRIVATE_KEY: generateAppKey(), REDIS_URL: redis.url },
        async () => (await client.keys("modelship:delivery:*")).length === 1,
      );
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

describe("app.yml", () => {
  it("subscribes to exactly the events the App handles", () => {
    const manifest = parse(readFileSync("app.yml", "utf8")) as { default_events: string[] };
    expect([...manifest.default_events].sort()).toEqual(
      [...new Set(APP_EVENTS.map((e) => e.split(".")[0]!))]
        .filter((e) => !e.startsWith("installation"))
        .sort(),
    );
  });
});
