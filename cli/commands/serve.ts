import type { Command } from "commander";
import { ModelshipError } from "../../core/errors.ts";

type ServeFlags = { model: string; name?: string; modelVersion?: string; port: string; host: string };

/** Adds `modelship serve --model FILE.onnx [--name NAME] [--model-version V] [--port N] [--host H]`. */
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
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new ModelshipError({
          code: "option-invalid",
          message: `--port must be an integer from 0 to 65535, got '${flags.port}'`,
        });
      }
      // Loaded on demand: onnxruntime-node is a native module only this command needs.
      const { serveUntilSignal } = await import("../../runners/serve/main.ts");
      await serveUntilSignal({
        models: [flags.model],
        ...(flags.name === undefined ? {} : { names: [flags.name] }),
        ...(flags.modelVersion === undefined ? {} : { version: flags.modelVersion }),
        host: flags.host,
        port,
      });
    });
}
