/**
 * Router benchmark: `node bench/router.bench.ts [--duration S] [--rounds N]`.
 *
 * One `modelship serve` slot (the fixture classifier, or with `--model wide-mlp` the medium
 * 256 → 1024 → 1024 → 16 MLP) and two blue-green routers in front of it, each in its own
 * process: one that hands connections to the slot (the steady state, `deploy.handoff`; it spawns
 * the slot) and one that proxies every request (`deploy.handoff: false`, and every rollout).
 * Loaded from this process with the same settings:
 *   - 50 connections, as fast as they go: req/s through each router against straight to the slot;
 *   - a steady 1,000 requests/s, open-loop and evenly spaced (pacedLoad): p99 through each router
 *     minus p99 direct.
 * Direct and routed runs alternate, round after round, so drift on a busy machine hits both; the
 * table shows every round and the summary the medians. A bare TCP relay (bench/relay-child.ts: no
 * HTTP parsing, no routing) runs beside them as the floor of any pass-through in the router's
 * process: what a router that stopped parsing HTTP per request could at best reach. The load generator, the router and the slot
 * share this machine's cores, so routed runs also pay for the router's CPU: the core count is printed.
 */
import { availableParallelism } from "node:os";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { wideMlpModel, writeFixtureModels } from "../test/fixtures/onnx/make-models.ts";
import {
  fmt,
  inRounds,
  load,
  loadTable,
  median,
  pacedLoad,
  startChild,
  stopChild,
  type Load,
} from "./load-helpers.ts";

const ROUTER = fileURLToPath(new URL("./router-child.ts", import.meta.url));
const RELAY = fileURLToPath(new URL("./relay-child.ts", import.meta.url));
/** The slot's model and a one-row request for it. */
async function slotModel(kind: string, dir: string): Promise<{ file: string; body: string }> {
  await mkdir(dir, { recursive: true });
  const width = kind === "wide-mlp" ? 256 : 4;
  const file = kind === "wide-mlp" ? join(dir, "wide-mlp.onnx") : (await writeFixtureModels(dir)).classifier;
  if (kind === "wide-mlp") await writeFile(file, wideMlpModel());
  else if (kind !== "classifier") throw new Error(`--model must be classifier or wide-mlp, got '${kind}'`);
  const data = Array.from({ length: width }, (_, i) => Math.round(Math.sin(i) * 1000) / 1000);
  return {
    file,
    body: JSON.stringify({ inputs: [{ name: "input", shape: [1, width], datatype: "FP32", data }] }),
  };
}

type Round = {
  direct: Load;
  handoff: Load;
  routed: Load;
  relayed: Load;
  directFixed: Load;
  handoffFixed: Load;
  routedFixed: Load;
  relayedFixed: Load;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "5" },
      rounds: { type: "string", default: "3" },
      model: { type: "string", default: "classifier" },
    },
  });
  const duration = Number(values.duration);
  const tmp = await mkdtemp(join(tmpdir(), "modelship-router-bench-"));
  const children: ChildProcess[] = [];
  try {
    const { file: model, body } = await slotModel(values.model, join(tmp, "models"));
    // The hand-off router spawns the slot (it needs the slot's IPC channel); the proxying
    // router and the relay send to that same slot.
    const info = join(tmp, "slot.json");
    const handoff = await startChild([ROUTER], { HANDOFF_MODEL: model, SLOT_INFO: info });
    children.push(handoff.child);
    const slot = JSON.parse(await readFile(info, "utf8")) as { url: string; pid: number };
    const router = await startChild([ROUTER], { SLOT_URL: slot.url }, "/v2/health/ready");
    children.push(router.child);
    const relay = await startChild([RELAY], { SLOT_URL: slot.url });
    children.push(relay.child);
    const path = "/v2/models/bench/infer";
    await waitReady(slot.url);
    for (const base of [slot.url, handoff.url, router.url, relay.url]) {
      const res = await fetch(base + path, {
        method: "POST",
        body: body,
        headers: { "content-type": "application/json" },
      });
      if (res.status !== 200)
        throw new Error(`sample request to ${base} failed (${res.status}): ${await res.text()}`);
    }
    const slotPid = [slot.pid];
    const handoffPids = [slot.pid, handoff.child.pid];
    const bothPids = [slot.pid, router.child.pid];
    const relayPids = [slot.pid, relay.child.pid];
    // Warm all (JIT, pooled connections) before measuring.
    for (const base of [slot.url, handoff.url, router.url, relay.url])
      await load(base + path, body, { connections: 50, duration: 2 });

    const rounds = await inRounds(Number(values.rounds), async (): Promise<Round> => {
      const free = { connections: 50, duration };
      const direct = await load(slot.url + path, body, { ...free, pids: slotPid });
      const handoffed = await load(handoff.url + path, body, { ...free, pids: handoffPids });
      const routed = await load(router.url + path, body, { ...free, pids: bothPids });
      const relayed = await load(relay.url + path, body, { ...free, pids: relayPids });
      const steady = { rate: 1000, duration };
      const directFixed = await pacedLoad(slot.url + path, body, { ...steady, pids: slotPid });
      const handoffFixed = await pacedLoad(handoff.url + path, body, { ...steady, pids: handoffPids });
      const routedFixed = await pacedLoad(router.url + path, body, { ...steady, pids: bothPids });
      const relayedFixed = await pacedLoad(relay.url + path, body, { ...steady, pids: relayPids });
      return {
        direct,
        handoff: handoffed,
        routed,
        relayed,
        directFixed,
        handoffFixed,
        routedFixed,
        relayedFixed,
      };
    });
    report(rounds, duration, values.model);
  } finally {
    for (const child of children.reverse()) await stopChild(child).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`slot ${url} did not become ready`);
}

function report(rounds: Round[], duration: number, model: string): void {
  const { header, row } = loadTable(34, ["req/s", "p50 ms", "p99 ms", "failed", "cpu us/req"]);
  const lines = ["", ...header];
  rounds.forEach((r, i) => {
    lines.push(
      row(`${i + 1} direct, 50 conns`, r.direct),
      row(`${i + 1} router hand-off, 50 conns`, r.handoff),
      row(`${i + 1} router proxy, 50 conns`, r.routed),
      row(`${i + 1} TCP relay, 50 conns`, r.relayed),
      row(`${i + 1} direct, 1,000 req/s`, r.directFixed),
      row(`${i + 1} router hand-off, 1,000 req/s`, r.handoffFixed),
      row(`${i + 1} router proxy, 1,000 req/s`, r.routedFixed),
      row(`${i + 1} TCP relay, 1,000 req/s`, r.relayedFixed),
    );
  });
  const m = (f: (r: Round) => number) => median(rounds.map(f));
  const ratio = (k: "handoff" | "routed" | "relayed") => m((r) => r[k].reqPerSec / r.direct.reqPerSec);
  const fixedOf = { handoff: "handoffFixed", routed: "routedFixed", relayed: "relayedFixed" } as const;
  const overhead = (k: "handoff" | "routed" | "relayed") => m((r) => r[fixedOf[k]].p99 - r.directFixed.p99);
  const cpu = (k: "handoff" | "routed" | "relayed") => m((r) => r[k].cpuUsPerReq - r.direct.cpuUsPerReq);
  const n = rounds.length;
  lines.push(
    "",
    `router (hand-off) / direct req/s (median of ${n}): ${fmt(ratio("handoff"))} (target >= 0.80)`,
    `router (proxy) / direct req/s (median of ${n}):    ${fmt(ratio("routed"))}`,
    `p99 overhead at 1,000 req/s (median): hand-off ${fmt(overhead("handoff"))} ms (target <= 1 ms), proxy ${fmt(overhead("routed"))} ms`,
    `router CPU per request (median): hand-off ${fmt(cpu("handoff"), 1)} us, proxy ${fmt(cpu("routed"), 1)} us`,
    `TCP relay floor (no HTTP parsing, no routing), medians: ${fmt(ratio("relayed"))} of direct req/s, p99 overhead ${fmt(overhead("relayed"))} ms, ${fmt(cpu("relayed"), 1)} us CPU per request`,
    `${availableParallelism()} cores shared by load generator, router and slot; slot model ${model}; ${duration} s per run, node ${process.version}`,
    "",
  );
  process.stdout.write(lines.join("\n"));
}

await main();
