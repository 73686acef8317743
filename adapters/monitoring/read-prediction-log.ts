import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  PredictionRecordSchema,
  RawPredictionRecordSchema,
  type PredictionRecord,
} from "../../core/monitoring/prediction-record.ts";
import { predictionRows } from "./prediction-rows.ts";

/** What drift reads from an environment's prediction log: client rows and the model's answers to them. */
export type PredictionLogRows = {
  rows: Array<Record<string, unknown>>;
  /** One answer per row (a class name or a number); undefined where the log holds none. */
  answers: unknown[];
  files: number;
  /** Records read per traffic kind; only `client` records are compared. */
  records: { client: number; shadow: number; smoke: number };
  /** Records logged as a summary only (body over the logging limit): their rows are unknown. */
  summarised: number;
  /** Lines that are not prediction records (a line cut short while being written, another format). */
  skippedLines: number;
  versions: string[];
};

/** `<state dir>/<environment>/predictions`: where the servers of an environment log (one folder per colour). */
export function predictionLogDir(stateDir: string, env: string): string {
  return join(stateDir, env, "predictions");
}

/**
 * Reads every `*.jsonl` file under `dir` (any depth), keeping the client requests to `model`
 * answered at or after `since`. A missing folder is an empty log.
 */
export async function readPredictionLog(opts: {
  dir: string;
  model: string;
  since?: Date;
  /** Class names, to turn a `probabilities` output into the answered class when no `label` was returned. */
  labels?: readonly string[];
}): Promise<PredictionLogRows> {
  const out: PredictionLogRows = {
    rows: [],
    answers: [],
    files: 0,
    records: { client: 0, shadow: 0, smoke: 0 },
    summarised: 0,
    skippedLines: 0,
    versions: [],
  };
  const versions = new Set<string>();
  for (const file of await logFiles(opts.dir)) {
    out.files++;
    const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const record = parsePredictionLine(line);
      if (!record) {
        out.skippedLines++;
        continue;
      }
      if (record.model !== opts.model) continue;
      if (opts.since && Date.parse(record.ts) < opts.since.getTime()) continue;
      out.records[record.traffic]++;
      if (record.traffic !== "client") continue;
      if (!record.inputs) {
        if (record.summary) out.summarised++;
        continue;
      }
      versions.add(record.version);
      record.inputs.forEach((row, i) => {
        out.rows.push(row);
        out.answers.push(answerOf(record.outputs?.[i], opts.labels));
      });
    }
  }
  out.versions = [...versions].sort();
  return out;
}

/**
 * A log line as a PredictionRecord: lines in the raw format (`"v":2`, the V2 request and answer as
 * sent) are turned into rows here; lines of the first format (rows already) are read as they are.
 */
export function parsePredictionLine(line: string): PredictionRecord | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof json === "object" && json !== null && "v" in json) {
    const raw = RawPredictionRecordSchema.safeParse(json);
    if (!raw.success) return undefined;
    const { v: _v, request: _rq, requestBinary: _rb, response: _rs, responseBinary: _sb, ...base } = raw.data;
    const rows = predictionRows(raw.data);
    return rows === undefined ? base : { ...base, inputs: rows.inputs as Row[], outputs: rows.outputs };
  }
  const parsed = PredictionRecordSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

type Row = NonNullable<PredictionRecord["inputs"]>[number];

/**
 * One row's answer: the `label` output a classifier returns (or the class of the largest of its
 * `probabilities`), else a regression's single number (`prediction`, or the only numeric output).
 */
export function answerOf(output: Record<string, unknown> | undefined, labels?: readonly string[]): unknown {
  if (!output) return undefined;
  if (typeof output["label"] === "string") return output["label"];
  const probabilities = output["probabilities"];
  if (labels && Array.isArray(probabilities) && probabilities.length === labels.length && labels.length > 1) {
    let best = 0;
    probabilities.forEach((p, j) => {
      if (typeof p === "number" && p > (probabilities[best] as number)) best = j;
    });
    return labels[best];
  }
  if (typeof output["prediction"] === "number") return output["prediction"];
  const numbers = Object.values(output).filter((v) => typeof v === "number");
  return numbers.length === 1 ? numbers[0] : undefined;
}

async function logFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".jsonl"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
