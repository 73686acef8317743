import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPredictionLog } from "../../../adapters/monitoring/read-prediction-log.ts";
import { formatPredictionRecord } from "../../../runners/serve/format-prediction-record.ts";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const base = {
  model: "penguins",
  version: "1.0.0",
  variant: "stable",
  traffic: "client",
  latencyMs: 1,
  status: 200,
} as const;

/** A record of the first format (rows already), as servers wrote it before the raw format. */
const firstFormat = (ts: string, island: string, label: string) =>
  JSON.stringify({ ...base, ts, id: `old-${island}`, inputs: [{ island }], outputs: [{ label }] });

/** A record of the raw format, made by the server's own formatter. */
function rawFormat(
  at: number,
  islands: string[],
  labels: string[],
  over: { traffic?: "shadow" } = {},
): string {
  const request = JSON.stringify({
    inputs: [{ name: "island", datatype: "BYTES", shape: [islands.length], data: islands }],
  });
  const response = JSON.stringify({
    model_name: "penguins",
    model_version: "1.1.0",
    outputs: [{ name: "label", datatype: "BYTES", shape: [labels.length], data: labels }],
  });
  return formatPredictionRecord(
    {
      ...base,
      ...over,
      version: "1.1.0",
      at,
      id: `new-${at}`,
      bodyBytes: request.length,
      rows: islands.length,
      request,
      response,
    },
    64 * 1024,
  ).line;
}

describe("readPredictionLog", () => {
  it("reads logs of both formats side by side, skipping torn lines and other traffic", async () => {
    const dir = await mkdtemp(join(tmpdir(), "modelship-readlog-"));
    dirs.push(dir);
    await mkdir(join(dir, "blue"));
    await writeFile(
      join(dir, "blue", "predictions-1.jsonl"),
      [firstFormat("2026-01-01T00:00:00.000Z", "biscoe", "gentoo"), '{"v":2,"ts":"2026-01-0'].join("\n") +
        "\n",
    );
    const t = Date.UTC(2026, 0, 2);
    await writeFile(
      join(dir, "predictions-2.jsonl"),
      [
        rawFormat(t, ["dream", "torgersen"], ["chinstrap", "adelie"]),
        rawFormat(t + 1, ["dream"], ["chinstrap"], { traffic: "shadow" }),
        formatPredictionRecord(
          { ...base, at: t + 2, id: "big", bodyBytes: 1e6, rows: 400, request: "{}", response: "{}" },
          1000,
        ).line,
      ].join("\n") + "\n",
    );
    const log = await readPredictionLog({ dir, model: "penguins" });
    expect(log.rows).toEqual([{ island: "biscoe" }, { island: "dream" }, { island: "torgersen" }]);
    expect(log.answers).toEqual(["gentoo", "chinstrap", "adelie"]);
    expect(log).toMatchObject({
      files: 2,
      records: { client: 3, shadow: 1, smoke: 0 },
      summarised: 1,
      skippedLines: 1,
      versions: ["1.0.0", "1.1.0"],
    });
    const since = await readPredictionLog({ dir, model: "penguins", since: new Date(t) });
    expect(since.rows).toEqual([{ island: "dream" }, { island: "torgersen" }]);
  });
});
