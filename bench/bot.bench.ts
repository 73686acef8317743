/**
 * GitHub App benchmark: `npx node bench/bot.bench.ts [--samples N] [--burst N] [--node-flags=FLAGS]`.
 *
 * Runs the App as a process (`bot/index.ts`, what `modelship bot` starts) against the local fake
 * GitHub, behind a pass-through proxy that timestamps each request as it arrives:
 *   (a) webhook receipt → first GitHub call: a signed `/help` comment is POSTed, one at a time;
 *       the time from sending it to the App's first request reaching GitHub, p50/p95 (target
 *       p95 < 50 ms);
 *   (b) a burst of deliveries, each sent twice with the same `X-GitHub-Delivery` (a redelivery),
 *       20 in flight: peak and final RSS of the App process (target < 200 MB), and every
 *       delivery handled exactly once (one 👀 request per comment, none missing).
 * The App runs with the V8 flags of `npm run bot` (the heap limits it ships with);
 * `--node-flags` overrides them, e.g. `--node-flags=""` for Node's default heap.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { sign } from "@octokit/webhooks-methods";

/** The node flags `npm run bot` starts the App with, so the benchmark measures the App as shipped. */
function startScriptFlags(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    scripts: Record<string, string>;
  };
  return (pkg.scripts["bot"] ?? "")
    .split(" ")
    .filter((f) => f.startsWith("--"))
    .join(" ");
}
import { addPull, startFakeGitHub } from "../test/support/fake-github/fake-github.ts";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "200" },
    burst: { type: "string", default: "1000" },
    // V8 flags for the App process, e.g. "--max-semi-space-size=2" to compare heap settings.
    "node-flags": { type: "string", default: startScriptFlags() },
  },
});
const SAMPLES = Number(values.samples);
const BURST = Number(values.burst);
const SECRET = "bench-webhook-secret-0123456789abcdef";
const OWNER = "Codertocat";
const REPO = "Hello-World";

const fake = await startFakeGitHub();
const repo = fake.repo(OWNER, REPO);
repo.files.main = { ".github/modelship.yml": "model:\n  name: iris\n" };
repo.permissions = { reader: "read" };
addPull(fake.state, repo, { number: 1 });

// Pass-through proxy: records when each request arrives, before the fake spends time on it.
const arrivals: number[] = [];
const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
  arrivals.push(performance.now());
  const target = new URL(fake.url);
  const up = request(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  req.pipe(up);
});
await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
const proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;

const botPort = await new Promise<number>((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = (s.address() as AddressInfo).port;
    s.close(() => resolve(p));
  });
});
const privateKey = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;
const env: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  NODE_ENV: "test",
  APP_ID: "1",
  PRIVATE_KEY: privateKey,
  WEBHOOK_SECRET: SECRET,
  GHE_HOST: proxyHost,
  GHE_PROTOCOL: "http",
  PORT: String(botPort),
  HOST: "127.0.0.1",
  LOG_LEVEL: "error",
  LOG_FORMAT: "json",
};
const bot = spawn(
  process.execPath,
  [...values["node-flags"].split(" ").filter((f) => f !== ""), "bot/index.ts"],
  { env, stdio: ["ignore", "inherit", "inherit"] },
);
const botUrl = `http://127.0.0.1:${botPort}`;
for (
  let i = 0;
  !(await fetch(`${botUrl}/ping`).then(
    (r) => r.ok,
    () => false,
  ));
  i++
) {
  if (i > 300) throw new Error("the App did not start");
  await new Promise((r) => setTimeout(r, 100));
}

/** The fields of GitHub's example `issue_comment.created` payload that each delivery changes. */
type CommentEvent = {
  action?: string;
  installation?: { id: number };
  issue: { number: number; pull_request?: { url: string } };
  comment: { id: number; body: string; user: { login: string } };
};
const template = JSON.parse(
  readFileSync("node_modules/@octokit/webhooks-examples/api.github.com/index.json", "utf8"),
) as Array<{ name: string; examples: CommentEvent[] }>;
const base = template.find((e) => e.name === "issue_comment")!.examples.find((x) => x.action === "created")!;
let nextComment = 10_000;

function commentDelivery(): { body: string; commentId: number } {
  const commentId = nextComment++;
  repo.comments.push({
    id: commentId,
    issueNumber: 1,
    body: "/help",
    user: { login: "reader", id: 7, type: "User" },
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
  });
  const payload = structuredClone(base);
  payload.installation = { id: 1 };
  payload.issue.number = 1;
  payload.issue.pull_request = { url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/1` };
  payload.comment.id = commentId;
  payload.comment.body = "/help";
  payload.comment.user.login = "reader";
  return { body: JSON.stringify(payload), commentId };
}

async function post(body: string, id: string): Promise<number> {
  const res = await fetch(`${botUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issue_comment",
      "x-github-delivery": id,
      "x-hub-signature-256": await sign(SECRET, body),
    },
    body,
  });
  await res.text();
  return res.status;
}

function rssMb(): number {
  const status = readFileSync(`/proc/${bot.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

// (a) receipt → first GitHub call, one delivery at a time (after a warm-up that mints the token).
for (let i = 0; i < 10; i++) await post(commentDelivery().body, `warm-${i}`);
const latencies: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const { body } = commentDelivery();
  const seen = arrivals.length;
  const t0 = performance.now();
  await post(body, `latency-${i}`);
  const first = arrivals[seen];
  if (first !== undefined) latencies.push(first - t0);
}
const p50 = percentile(latencies, 50);
const p95 = percentile(latencies, 95);

// (b) a burst, each delivery sent twice with the same id, 20 in flight.
const rssBefore = rssMb();
let peak = rssBefore;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 50);
const burst = Array.from({ length: BURST }, (_, i) => ({ ...commentDelivery(), id: `burst-${i}` }));
const sends = burst.flatMap((d) => [d, d]);
const statuses: number[] = [];
let cursor = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (cursor < sends.length) {
      const d = sends[cursor++]!;
      statuses.push(await post(d.body, d.id));
    }
  }),
);
// A 202 means GitHub's 10 s webhook timeout passed and the App is still working: wait until the
// fake has seen no request for a second.
for (let last = -1; last !== fake.calls.length;) {
  last = fake.calls.length;
  await new Promise((r) => setTimeout(r, 1000));
}
const burstSeconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
const rssAfter = rssMb();
const eyes = new Map<number, number>();
for (const c of fake.callsTo("reactions/create-for-issue-comment")) {
  const id = Number(/comments\/(\d+)\/reactions/.exec(c.path)?.[1]);
  if ((c.body as { content?: string }).content === "eyes") eyes.set(id, (eyes.get(id) ?? 0) + 1);
}
const lost = burst.filter((d) => !eyes.has(d.commentId)).length;
const twice = burst.filter((d) => (eyes.get(d.commentId) ?? 0) > 1).length;

bot.kill("SIGTERM");
proxy.close();
await fake.close();

const fmt = (n: number) => n.toFixed(1);
console.log(`App process: node ${values["node-flags"] || "(default V8 heap)"} bot/index.ts`);
console.log(`webhook receipt → first GitHub call (${latencies.length} deliveries, one at a time):`);
console.log(
  `  p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms   target p95 < 50 ms → ${fmt(p95 / 50)}× of target ${p95 < 50 ? "(met)" : "(MISSED)"}`,
);
console.log(
  `burst of ${BURST} deliveries, each delivered twice (same delivery id), 20 in flight, ${fmt(burstSeconds)} s:`,
);
console.log(
  `  RSS before ${fmt(rssBefore)} MB, peak ${fmt(peak)} MB, after ${fmt(rssAfter)} MB   target < 200 MB → ${fmt(peak / 200)}× of target ${peak < 200 ? "(met)" : "(MISSED)"}`,
);
console.log(
  `  HTTP statuses: ${[...new Set(statuses)].map((s) => `${s}×${statuses.filter((x) => x === s).length}`).join(", ")}`,
);
console.log(
  `  handled: ${burst.length - lost} of ${burst.length} deliveries; lost ${lost}, handled twice ${twice}   target 0 and 0 ${lost === 0 && twice === 0 ? "(met)" : "(MISSED)"}`,
);
console.log(`  invalid requests seen by the fake: ${fake.invalid.length}`);
