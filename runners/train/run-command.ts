import { spawn } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import * as ort from "onnxruntime-node";
import { ModelshipError } from "../../core/errors.ts";
import { parseHistory, parseMetrics } from "../../core/data/parse-metrics.ts";
import type { History, RunRecord } from "../../core/run/run-record.ts";

export type CommandOutputs = { metrics: string; history: string; model: string };

export type CommandResult = {
  metrics: Record<string, number>;
  history?: History;
  model: Uint8Array;
  signature?: NonNullable<RunRecord["signature"]>;
  exitCode: number;
};

const TAIL_BYTES = 4000;

/**
 * Runs `train.command` through the shell in `repoDir` with MODELSHIP_OUTPUT_DIR, MODELSHIP_RUN_ID
 * and MODELSHIP_PARAMS set, streams its output, then collects metrics, history and the ONNX model.
 */
export async function runCommand(opts: {
  command: string;
  repoDir: string;
  outputDir: string;
  runId: string;
  params: Record<string, unknown>;
  outputs: CommandOutputs;
  timeoutMs: number;
  /** Where the program's output goes; defaults to this process's stderr. null discards it. */
  sink?: NodeJS.WritableStream | null;
  /** More environment variables for the program (e.g. MODELSHIP_CHECKPOINT_DIR). */
  env?: Record<string, string>;
}): Promise<CommandResult> {
  await mkdir(opts.outputDir, { recursive: true });
  const sink = opts.sink === undefined ? process.stderr : opts.sink;
  let tail = "";
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>(
    (resolveExit, reject) => {
      const child = spawn(opts.command, {
        shell: true,
        cwd: opts.repoDir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          ...opts.env,
          MODELSHIP_OUTPUT_DIR: opts.outputDir,
          MODELSHIP_RUN_ID: opts.runId,
          MODELSHIP_PARAMS: JSON.stringify(opts.params),
        },
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // The shell's children share its process group; end them all.
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      }, opts.timeoutMs);
      const onData = (chunk: Buffer) => {
        sink?.write(chunk);
        tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolveExit({ code, signal, timedOut });
      });
    },
  );
  const tailText = tail.trimEnd().split("\n").slice(-20).join("\n");
  if (exit.timedOut) {
    throw new ModelshipError({
      code: "train-command-timeout",
      message: `train.command ran longer than train.timeoutMinutes and was stopped. Last output:\n${tailText}`,
      hint: "Raise train.timeoutMinutes or make the program faster.",
    });
  }
  if (exit.code !== 0) {
    throw new ModelshipError({
      code: "train-command-failed",
      message: `train.command exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`}: ${opts.command}\nLast output:\n${tailText}`,
      hint: "Run the command yourself from the repository root to see the whole error.",
    });
  }

  const at = (p: string) => (isAbsolute(p) ? p : join(opts.outputDir, p));
  const metricsText = await readOutput(at(opts.outputs.metrics), "metrics", opts.outputs.metrics);
  const metrics = parseMetrics(metricsText.toString("utf8"), opts.outputs.metrics);
  const historyBytes = await readFile(at(opts.outputs.history)).catch(() => undefined);
  const history = historyBytes
    ? parseHistory(historyBytes.toString("utf8"), opts.outputs.history)
    : undefined;
  const model = new Uint8Array(await readOutput(at(opts.outputs.model), "model", opts.outputs.model));
  const signature = await onnxSignature(model, opts.outputs.model);
  return {
    metrics,
    ...(history ? { history } : {}),
    model,
    ...(signature ? { signature } : {}),
    exitCode: 0,
  };
}

async function readOutput(path: string, what: string, configured: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new ModelshipError({
      code: `train-command-no-${what}`,
      message: `train.command finished but wrote no ${what} file at $MODELSHIP_OUTPUT_DIR/${configured}`,
      hint: `Write the ${what} to "$MODELSHIP_OUTPUT_DIR/${configured}", or set train.outputs.${what}.`,
    });
  }
}

const DATATYPES: Record<string, string> = {
  float32: "FP32",
  float64: "FP64",
  float16: "FP16",
  int64: "INT64",
  int32: "INT32",
  int8: "INT8",
  uint8: "UINT8",
  bool: "BOOL",
  string: "BYTES",
};

// Loading the model also proves it is a valid ONNX file before it is registered.
async function onnxSignature(model: Uint8Array, file: string): Promise<RunRecord["signature"]> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (err) {
    throw new ModelshipError({
      code: "train-command-bad-model",
      message: `the model written by train.command is not a loadable ONNX model: ${(err as Error).message.split("\n")[0]}`,
      where: { file },
      hint: "Export with torch.onnx.export / tf2onnx / skl2onnx and check it with onnx.checker.",
    });
  }
  try {
    const describe = (m: readonly ort.InferenceSession.ValueMetadata[]) =>
      m.map((v) => ({
        name: v.name,
        datatype: v.isTensor ? (DATATYPES[v.type] ?? v.type.toUpperCase()) : "OBJECT",
        shape: v.isTensor ? v.shape.map((d) => (typeof d === "number" ? d : -1)) : [],
      }));
    return { inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
  } finally {
    await session.release();
  }
}
