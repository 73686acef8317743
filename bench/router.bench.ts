/**
 * Router benchmark: `node bench/router.bench.ts [--duration S] [--rounds N]`.
 *
 * One `modelship serve` slot (the fixture classifier, or with `--model wide-mlp` the medium
 * 256 → 1024 → 1024 → 16 MLP) and the blue-green router in front of it,
 * each in its own process, loaded by autocannon from this process with the same settings:
 *   - 50 connections, as fast as they go: req/s through the router against straight to the slot;
 *   - a fixed 1,000 requests/s over 10 connections: p99 through the router minus p99 direct.
 * Direct and routed runs alternate, round after round, so drift on a busy machine hits both; the
 * table shows every round and the summary the medians. A bare TCP relay (bench/relay-child.ts: no
 * HTTP parsing, no routing) runs beside them as the floor of any pass-through in the router's
 * process: what a router that stopped parsing HTTP per request could at best reach. The load generator, the router and the slot
 * share this machine's cores, so routed runs also pay for the router's CPU: the core count is printed.
 */
import { availableParallelism } from "node:os";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ChildProcess } from "node:child_process";
import { wideMlpModel, writeFixtureModels } from "../test/fixtures/onnx/make-models.ts";
import { fmt, inRounds, load, loadTable, median, startChild, stopChild, type Load } from "./load-helpers.ts";

const SERVE = fileURLToPath(new URL("../runners/serve/main.ts", import.meta.url));
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
  routed: Load;
  relayed: Load;
  directFixed: Load;
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
    const slot = await startChild(
      [SERVE, "--model", model, "--name", "bench", "--port", "0"],
      {},
      "/v2/health/ready",
    );
    children.push(slot.child);
    const router = await startChild([ROUTER], { SLOT_URL: slot.url }, "/v2/health/ready");
    children.push(router.child);
    const relay = await startChild([RELAY], { SLOT_URL: slot.url });
    children.push(relay.child);
    const path = "/v2/models/bench/infer";
    for (const base of [slot.url, router.url, relay.url]) {
      const res = await fetch(base + path, {
        method: "POST",
        body: body,
        headers: { "content-type": "application/json" },
      });
      if (res.status !== 200)
        throw new Error(`sample request to ${base} failed (${res.status}): ${await res.text()}`);
    }
    const slotPid = [slot.child.pid];
    const bothPids = [slot.child.pid, router.child.pid];
    const relayPids = [slot.child.pid, relay.child.pid];
    // Warm both (JIT, pooled connections) before measuring.
    await load(slot.url + path, body, { connections: 50, duration: 2 });
    await load(router.url + path, body, { connections: 50, duration: 2 });
    await load(relay.url + path, body, { connections: 50, duration: 2 });

    const rounds = await inRounds(Number(values.rounds), async (): Promise<Round> => {
      const direct = await load(slot.url + path, body, { connections: 50, duration, pids: slotPid });
      const routed = await load(router.url + path, body, { connections: 50, duration, pids: bothPids });
      const relayed = await load(relay.url + path, body, { connections: 50, duration, pids: relayPids });
      const fixed = { connections: 10, duration, overallRate: 1000 };
      const directFixed = await load(slot.url + path, body, { ...fixed, pids: slotPid });
      const routedFixed = await load(router.url + path, body, { ...fixed, pids: bothPids });
      const relayedFixed = await load(relay.url + path, body, { ...fixed, pids: relayPids });
      return { direct, routed, relayed, directFixed, routedFixed, relayedFixed };
    });
    report(rounds, duration, values.model);
  } finally {
    for (const child of children.reverse()) await stopChild(child).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
}

function report(rounds: Round[], duration: number, model: string): void {
  const { header, row } = loadTable(30, ["req/s", "p50 ms", "p99 ms", "failed", "cpu us/req"]);
  const lines = ["", ...header];
  rounds.forEach((r, i) => {
    lines.push(
      row(`${i + 1} direct, 50 conns`, r.direct),
      row(`${i + 1} router, 50 conns`, r.routed),
      row(`${i + 1} TCP relay, 50 conns`, r.relayed),
    );
    lines.push(
      row(`${i + 1} direct, 1,000 req/s`, r.directFixed),
      row(`${i + 1} router, 1,000 req/s`, r.routedFixed),
      row(`${i + 1} TCP relay, 1,000 req/s`, r.relayedFixed),
    );
  });
  const ratio = median(rounds.map((r) => r.routed.reqPerSec / r.direct.reqPerSec));
  const overhead = median(rounds.map((r) => r.routedFixed.p99 - r.directFixed.p99));
  const cpu = median(rounds.map((r) => r.routed.cpuUsPerReq - r.direct.cpuUsPerReq));
  const relayRatio = median(rounds.map((r) => r.relayed.reqPerSec / r.direct.reqPerSec));
  const relayOverhead = median(rounds.map((r) => r.relayedFixed.p99 - r.directFixed.p99));
  const relayCpu = median(rounds.map((r) => r.relayed.cpuUsPerReq - r.direct.cpuUsPerReq));
  lines.push(
    "",
    `router / direct req/s (median of ${rounds.length}):  ${fmt(ratio)} (target >= 0.80)`,
    `p99 overhead at 1,000 req/s (median):  ${fmt(overhead)} ms (target <= 1 ms)`,
    `router CPU per request (median):       ${fmt(cpu, 1)} us`,
    `TCP relay floor (no HTTP parsing, no routing), medians: ${fmt(relayRatio)} of direct req/s, p99 overhead ${fmt(relayOverhead)} ms, ${fmt(relayCpu, 1)} us CPU per request`,
    `${availableParallelism()} cores shared by load generator, router and slot; slot model ${model}; ${duration} s per run, node ${process.version}`,
    "",
  );
  process.stdout.write(lines.join("\n"));
}

await main();
