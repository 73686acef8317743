import type { ServeBatching } from "./schema.ts";

/**
 * `serve.batching` as the inference server's flags (`--max-batch-rows`, `--max-queue-delay-us`,
 * `--preferred-batch-rows`), for a local slot's command line and a Kubernetes pod's args alike.
 */
export function batchingArgs(b: ServeBatching): string[] {
  return [
    "--max-batch-rows",
    String(b.maxBatchRows),
    "--max-queue-delay-us",
    String(b.maxQueueDelayUs),
    ...(b.preferredBatchRows.length > 0 ? ["--preferred-batch-rows", b.preferredBatchRows.join(",")] : []),
    // The server's default is the event loop: the flag appears only when it changes something.
    ...(b.inferenceThread === "worker" ? ["--inference-thread", "worker"] : []),
  ];
}
