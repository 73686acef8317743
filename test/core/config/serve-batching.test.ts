import { describe, expect, it } from "vitest";
import { batchingArgs } from "../../../core/config/batching-args.ts";
import { parseConfig } from "../../../core/config/parse-config.ts";

const FILE = ".github/modelship.yml";

describe("serve.batching", () => {
  it.each([
    [
      "nothing set: stacking up to 64 rows, no window",
      "",
      { maxBatchRows: 64, maxQueueDelayUs: 0, preferredBatchRows: [], inferenceThread: "main" },
    ],
    [
      "a window with preferred row counts",
      "serve:\n  batching: { maxBatchRows: 32, maxQueueDelayUs: 500, preferredBatchRows: [8, 16] }\n",
      { maxBatchRows: 32, maxQueueDelayUs: 500, preferredBatchRows: [8, 16], inferenceThread: "main" },
    ],
    [
      "stacking off",
      "serve:\n  batching: { maxBatchRows: 1 }\n",
      { maxBatchRows: 1, maxQueueDelayUs: 0, preferredBatchRows: [], inferenceThread: "main" },
    ],
    [
      "inference in a worker thread",
      "serve:\n  batching: { inferenceThread: worker }\n",
      { maxBatchRows: 64, maxQueueDelayUs: 0, preferredBatchRows: [], inferenceThread: "worker" },
    ],
  ])("%s", (_label, text, batching) => {
    const r = parseConfig(text, FILE);
    expect(r.ok && r.config.serve.batching).toEqual(batching);
  });

  it.each([
    ["no rows", "serve:\n  batching: { maxBatchRows: 0 }\n", /serve\.batching\.maxBatchRows: .*>=1/],
    [
      "a negative window",
      "serve:\n  batching: { maxQueueDelayUs: -1 }\n",
      /serve\.batching\.maxQueueDelayUs: .*>=0/,
    ],
    [
      "a window over ten seconds",
      "serve:\n  batching: { maxQueueDelayUs: 10000001 }\n",
      /maxQueueDelayUs: .*<=10000000/,
    ],
    [
      "a fractional row count",
      "serve:\n  batching: { preferredBatchRows: [2.5] }\n",
      /preferredBatchRows\.0: .*expected int/,
    ],
    [
      "a preferred count above the cap",
      "serve:\n  batching: { maxBatchRows: 8, preferredBatchRows: [4, 16] }\n",
      /serve\.batching\.preferredBatchRows: every preferredBatchRows entry must be at most maxBatchRows/,
    ],
    [
      "an unknown inference thread",
      "serve:\n  batching: { inferenceThread: gpu }\n",
      /serve\.batching\.inferenceThread: /,
    ],
    [
      "an unknown key",
      "serve:\n  batching: { maxDelayMs: 5 }\n",
      /serve\.batching: unknown key 'maxDelayMs'/,
    ],
  ])("refuses %s with config-invalid", (_label, text, message) => {
    const r = parseConfig(text, FILE);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.code).toBe("config-invalid");
    expect(r.problems[0]!.message).toMatch(message);
  });

  it.each([
    [
      { maxBatchRows: 64, maxQueueDelayUs: 0, preferredBatchRows: [], inferenceThread: "main" as const },
      ["--max-batch-rows", "64", "--max-queue-delay-us", "0"],
    ],
    [
      {
        maxBatchRows: 32,
        maxQueueDelayUs: 2000,
        preferredBatchRows: [8, 16],
        inferenceThread: "main" as const,
      },
      ["--max-batch-rows", "32", "--max-queue-delay-us", "2000", "--preferred-batch-rows", "8,16"],
    ],
    [
      { maxBatchRows: 64, maxQueueDelayUs: 0, preferredBatchRows: [], inferenceThread: "worker" as const },
      ["--max-batch-rows", "64", "--max-queue-delay-us", "0", "--inference-thread", "worker"],
    ],
  ])("%j becomes the server flags %j", (batching, args) => {
    expect(batchingArgs(batching)).toEqual(args);
  });
});
