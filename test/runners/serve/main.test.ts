import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { register } from "../../../cli/commands/serve.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { makeFixtures, post, type Fixtures } from "./serve-helpers.ts";
import { parseServeArgs } from "../../../runners/serve/main.ts";

const MAIN = fileURLToPath(new URL("../../../runners/serve/main.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../../../bin/modelship.js", import.meta.url));

type Proc = {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
};

function startMain(args: string[], entry = MAIN): Proc {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function firstLine(p: Proc): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (!p.stdout().includes("\n")) {
    if (Date.now() > deadline || p.child.exitCode !== null)
      throw new Error(`no stdout line; stderr: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return p.stdout().split("\n")[0]!;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${url}/v2/health/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("server never became ready");
}

let fx: Fixtures;
const running: Proc[] = [];

beforeAll(async () => {
  fx = await makeFixtures();
});
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill("SIGKILL");
});
afterAll(async () => {
  await fx?.cleanup();
});

const goodClf = { inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] };

describe("runners/serve/main.ts", () => {
  it("prints exactly one JSON listening line on stdout first, then serves, and exits 0 on SIGTERM", async () => {
    const p = startMain([
      "--model",
      fx.files.classifier,
      "--name",
      "iris",
      "--model-version",
      "3",
      "--port",
      "0",
    ]);
    running.push(p);
    const line = await firstLine(p);
    const event = JSON.parse(line) as { event: string; url: string; port: number };
    expect(Object.keys(event)).toEqual(["event", "url", "port"]);
    expect(event.event).toBe("listening");
    expect(event.port).toBeGreaterThan(0);
    expect(event.url).toBe(`http://127.0.0.1:${event.port}`);
    await waitReady(event.url);
    const res = await post(`${event.url}/v2/models/iris/infer`, goodClf);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_name: "iris", model_version: "3" });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.stdout().trim().split("\n")).toHaveLength(1);
    expect(p.stderr()).toMatch(/SIGTERM/);
  });

  it("finishes a request in flight before exiting on SIGTERM", async () => {
    const p = startMain(["--model", fx.files.classifier, "--port", "0"]);
    running.push(p);
    const { url } = JSON.parse(await firstLine(p)) as { url: string };
    await waitReady(url);
    // A request whose body is still arriving when the signal comes must still be answered.
    const body = JSON.stringify(goodClf);
    const { request } = await import("node:http");
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${url}/v2/models/classifier/infer`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (r) => {
          let text = "";
          r.on("data", (d: Buffer) => (text += d.toString()));
          r.on("end", () => resolve({ status: r.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 5));
      req.on("socket", (s) =>
        s.on("connect", () =>
          setTimeout(() => {
            p.child.kill("SIGTERM");
            setTimeout(() => req.end(body.slice(5)), 300);
          }, 300),
        ),
      );
    });
    const res = await answered;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ model_name: "classifier" });
    expect(await p.exited).toBe(0);
  });

  it.each([
    [
      "a missing model file",
      (f: Fixtures) => [join(f.dir, "nope.onnx")],
      /model file .*nope\.onnx does not exist.*\[model-not-found\]/s,
    ],
    ["no --model", () => [], /no model to serve.*\[model-missing\]/s],
  ])("exits 2 with a clear error for %s", async (_label, models, message) => {
    const p = startMain([...models(fx).flatMap((m) => ["--model", m]), "--port", "0"]);
    running.push(p);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(message);
    expect(p.stdout()).toBe("");
  });

  it("names a run directory's model after the run's model name", async () => {
    const run = join(fx.dir, "run-abc");
    await mkdir(join(run, "model"), { recursive: true });
    await copyFile(fx.files.classifier, join(run, "model", "model.onnx"));
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(run, "run.json"), JSON.stringify({ model: { name: "churn" } }));
    const p = startMain(["--model", run, "--port", "0"]);
    running.push(p);
    const { url } = JSON.parse(await firstLine(p)) as { url: string };
    await waitReady(url);
    expect((await post(`${url}/v2/models/churn/infer`, goodClf)).status).toBe(200);
  });
});

describe("modelship serve", () => {
  function program(): Command {
    const p = new Command("modelship").exitOverride();
    register(p);
    return p;
  }

  it("serves from the real executable and stops on SIGTERM", async () => {
    const p = startMain(
      ["serve", "--model", fx.files.classifier, "--model-version", "2.1.0", "--port", "0"],
      BIN,
    );
    running.push(p);
    const { event, url } = JSON.parse(await firstLine(p)) as { event: string; url: string };
    expect(event).toBe("listening");
    await waitReady(url);
    const res = await post(`${url}/v2/models/classifier/infer`, goodClf);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_name: "classifier", model_version: "2.1.0" });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("exits 2 from the real executable when the model file is missing", async () => {
    const p = startMain(["serve", "--model", join(fx.dir, "gone.onnx")], BIN);
    running.push(p);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/gone\.onnx does not exist.*\[model-not-found\]/s);
  });

  it.each([
    ["a missing model file", (f: Fixtures) => ["--model", join(f.dir, "absent.onnx")], "model-not-found"],
    ["a bad port", (f: Fixtures) => ["--model", f.files.classifier, "--port", "http"], "option-invalid"],
  ])("fails with a ModelshipError for %s", async (_label, args, code) => {
    const run = program().parseAsync(["node", "modelship", "serve", ...args(fx)]);
    await expect(run).rejects.toBeInstanceOf(ModelshipError);
    await expect(run).rejects.toMatchObject({ code });
  });

  it("fails with model-invalid for a corrupt model file", async () => {
    const { writeFile } = await import("node:fs/promises");
    const file = join(fx.dir, "corrupt.onnx");
    await writeFile(file, "not an onnx model");
    const run = program().parseAsync(["node", "modelship", "serve", "--model", file, "--port", "0"]);
    await expect(run).rejects.toMatchObject({ code: "model-invalid" });
  });
});

describe("batching flags of the serve process", () => {
  it("reads the queue delay window and the preferred row counts", () => {
    const opts = parseServeArgs([
      "--model",
      "m.onnx",
      "--max-batch-rows",
      "32",
      "--max-queue-delay-us",
      "500",
      "--preferred-batch-rows",
      "8, 16",
    ]);
    expect(opts).toMatchObject({ maxBatchRows: 32, maxQueueDelayUs: 500, preferredBatchRows: [8, 16] });
  });

  it.each([
    [["--max-queue-delay-us=-1"], /--max-queue-delay-us must be an integer from 0/],
    [["--max-queue-delay-us", "0.5"], /--max-queue-delay-us must be an integer/],
    [["--preferred-batch-rows", "8,x"], /--preferred-batch-rows must be an integer from 1 .* got 'x'/],
    [["--preferred-batch-rows", "8,,16"], /--preferred-batch-rows must be an integer from 1 .* got ''/],
  ])("rejects %j with option-invalid", (flags, message) => {
    expect(() => parseServeArgs(["--model", "m.onnx", ...flags])).toThrow(message);
    expect(() => parseServeArgs(["--model", "m.onnx", ...flags])).toThrow(ModelshipError);
  });
});

describe("batching of modelship serve", () => {
  const rows = [
    [1, 2, 3, 4],
    [4, 3, 2, 1],
    [0, 0, 1, 0],
    [5, -1, 2, 0],
  ];
  const body = (row: number[]) => ({
    inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: row }],
  });
  const WINDOW_MS = 3000;

  type Sent = { loneMs: number; togetherMs: number; answers: unknown[] };

  /** Starts the real executable, sends one request alone, then the four rows at once, timing each. */
  async function serveAndSend(args: string[]): Promise<Sent> {
    const p = startMain(["serve", "--model", fx.files.classifier, "--port", "0", ...args], BIN);
    running.push(p);
    const { url } = JSON.parse(await firstLine(p)) as { url: string };
    await waitReady(url);
    const infer = (row: number[]) => post(`${url}/v2/models/classifier/infer`, body(row));
    let started = performance.now();
    expect((await infer(rows[0]!)).status).toBe(200);
    const loneMs = performance.now() - started;
    started = performance.now();
    const answers = await Promise.all(rows.map(infer));
    const togetherMs = performance.now() - started;
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    p.child.kill("SIGTERM");
    await p.exited;
    return { loneMs, togetherMs, answers: answers.map((a) => a.body) };
  }

  it("holds a lone request for the window and stacks concurrent ones at the preferred row count, each answered as when run alone", async () => {
    const alone = await serveAndSend(["--max-batch-rows", "1"]);
    const windowed = await serveAndSend([
      "--max-queue-delay-us",
      String(WINDOW_MS * 1000),
      "--preferred-batch-rows",
      "4",
    ]);
    expect(windowed.loneMs).toBeGreaterThanOrEqual(WINDOW_MS - 5);
    // Without stacking, each of the four would wait out the window as the lone one did.
    expect(windowed.togetherMs).toBeLessThan(WINDOW_MS);
    expect(windowed.answers).toEqual(alone.answers);
    expect(alone.loneMs).toBeLessThan(WINDOW_MS);
  });

  it("takes serve.batching from --config, and a flag overrides its key", async () => {
    const config = join(fx.dir, "batching.yml");
    await writeFile(config, `serve:\n  batching:\n    maxQueueDelayUs: ${WINDOW_MS * 1000}\n`);
    expect((await serveAndSend(["--config", config])).loneMs).toBeGreaterThanOrEqual(WINDOW_MS - 5);
    expect((await serveAndSend(["--config", config, "--max-queue-delay-us", "0"])).loneMs).toBeLessThan(
      WINDOW_MS,
    );
  });

  it("runs inference in a worker thread from the flag or serve.batching, with the same answers", async () => {
    const main = await serveAndSend(["--max-batch-rows", "1"]);
    const flagged = await serveAndSend(["--inference-thread", "worker"]);
    expect(flagged.answers).toEqual(main.answers);
    expect(running.at(-1)!.stderr()).toContain("inference: in a worker thread per model");
    const config = join(fx.dir, "worker.yml");
    await writeFile(config, "serve:\n  batching:\n    inferenceThread: worker\n");
    const configured = await serveAndSend(["--config", config]);
    expect(configured.answers).toEqual(main.answers);
    expect(running.at(-1)!.stderr()).toContain("inference: in a worker thread per model");
    const bad = startMain(["serve", "--model", fx.files.classifier, "--inference-thread", "gpu"], BIN);
    running.push(bad);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--inference-thread must be 'main' or 'worker', got 'gpu'/);
  });

  it("exits 2 naming the key when the config's batching is invalid", async () => {
    const config = join(fx.dir, "bad-batching.yml");
    await writeFile(config, "serve:\n  batching:\n    maxBatchRows: 0\n");
    const p = startMain(["serve", "--model", fx.files.classifier, "--config", config], BIN);
    running.push(p);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/serve\.batching\.maxBatchRows/);
  });
});
