import type { Command } from "commander";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { batchingArgs } from "../../core/config/batching-args.ts";
import { predictionLogArgs } from "../../core/config/prediction-log-args.ts";
import { ModelshipError } from "../../core/errors.ts";

type ServeFlags = {
  model: string;
  name?: string;
  modelVersion?: string;
  port: string;
  host: string;
  config?: string;
  maxBatchRows?: string;
  maxQueueDelayUs?: string;
  preferredBatchRows?: string;
  inferenceThread?: string;
  predictionLog?: string;
};

/**
 * Adds `modelship serve --model FILE.onnx [--name NAME] [--model-version V] [--port N] [--host H]
 * [--max-batch-rows R] [--max-queue-delay-us U] [--preferred-batch-rows R1,R2]
 * [--inference-thread main|worker] [--prediction-log DIR]
 * [--config FILE]`. Batching comes from the config's `serve.batching`; each flag overrides its key.
 * With `--prediction-log`, the config's `monitoring` sets sampling and the log's size limits.
 */
export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve an ONNX model over the Open Inference Protocol (V2) REST API, with Prometheus metrics at /metrics.",
    )
    .requiredOption(
      "--model <path>",
      "model.onnx file, a model directory holding model.onnx, or a run directory",
    )
    .option("--name <name>", "model name in the URL (default: from the file or run name)")
    .option("--model-version <v>", "version reported in metadata, responses and metrics (default: 1)")
    .option("--port <n>", "port to listen on; 0 picks a free one", "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option(
      "-c, --config <path>",
      `config file whose serve.batching applies (default: ${DEFAULT_CONFIG_PATH})`,
    )
    .option("--max-batch-rows <r>", "most rows concurrent requests are stacked into; 1 turns stacking off")
    .option("--max-queue-delay-us <u>", "microseconds a request waits for others to stack with")
    .option("--preferred-batch-rows <list>", "row counts dispatched without waiting, e.g. 8,16")
    .option(
      "--inference-thread <where>",
      "run onnxruntime on the event loop (main) or in a worker thread (worker)",
    )
    .option(
      "--prediction-log <dir>",
      "log each inference as a JSON line in this folder (sampling and size limits from monitoring.*)",
    )
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new ModelshipError({
          code: "option-invalid",
          message: `--port must be an integer from 0 to 65535, got '${flags.port}'`,
        });
      }
      const config = await loadConfig(flags.config ?? DEFAULT_CONFIG_PATH, {
        required: flags.config !== undefined,
      });
      // Loaded on demand: onnxruntime-node is a native module only this command needs.
      const { parseServeArgs, serveUntilSignal } = await import("../../runners/serve/main.ts");
      // The config's values first, so a flag given after them wins.
      const parsed = parseServeArgs([
        ...batchingArgs(config.serve.batching),
        ...batchingFlags(flags),
        ...(flags.predictionLog === undefined
          ? []
          : ["--prediction-log", flags.predictionLog, ...predictionLogArgs(config.monitoring)]),
      ]);
      await serveUntilSignal({
        models: [flags.model],
        ...(flags.name === undefined ? {} : { names: [flags.name] }),
        ...(flags.modelVersion === undefined ? {} : { version: flags.modelVersion }),
        host: flags.host,
        port,
        ...pick(parsed, [
          "maxBatchRows",
          "maxQueueDelayUs",
          "preferredBatchRows",
          "inferenceThread",
          "predictionLog",
        ]),
      });
    });
}

function batchingFlags(flags: ServeFlags): string[] {
  return [
    ...(flags.maxBatchRows === undefined ? [] : ["--max-batch-rows", flags.maxBatchRows]),
    ...(flags.maxQueueDelayUs === undefined ? [] : ["--max-queue-delay-us", flags.maxQueueDelayUs]),
    ...(flags.preferredBatchRows === undefined ? [] : ["--preferred-batch-rows", flags.preferredBatchRows]),
    ...(flags.inferenceThread === undefined ? [] : ["--inference-thread", flags.inferenceThread]),
  ];
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (value[k] !== undefined) out[k] = value[k];
  return out;
}
