import { z } from "zod";
import { HistorySchema, type History } from "../run/run-record.ts";
import { ModelshipError } from "../errors.ts";
import { flattenMetrics } from "../compare/flatten-metrics.ts";

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where: { file: string; line?: number; column?: number } = { file };
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const lines = before.split("\n");
      where = { file, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
    }
    throw new ModelshipError({
      code: `${what}-invalid-json`,
      message: `${what} file is not valid JSON: ${msg}`,
      where,
      hint: `Write ${what} as a JSON object, e.g. {"accuracy": 0.93}.`,
    });
  }
}

/**
 * Parses a metrics file: a flat `{ name: number }` object or DVC-style nested objects, flattened
 * with dotted names (`{"val": {"acc": 1}}` → `val.acc`). Non-numeric leaves are ignored.
 */
export function parseMetrics(text: string, file: string): Record<string, number> {
  const raw = parseJson(text, file, "metrics");
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ModelshipError({
      code: "metrics-not-an-object",
      message: `metrics file must hold a JSON object, found ${Array.isArray(raw) ? "an array" : raw === null ? "null" : typeof raw}`,
      where: { file },
      hint: 'Write e.g. {"accuracy": 0.93, "loss": 0.2}.',
    });
  }
  const out = Object.fromEntries(Object.entries(flattenMetrics(raw)).filter(([, v]) => Number.isFinite(v)));
  if (Object.keys(out).length === 0) {
    throw new ModelshipError({
      code: "metrics-empty",
      message: "metrics file has no numeric values",
      where: { file },
      hint: 'Write numbers, e.g. {"accuracy": 0.93}; strings and lists are ignored.',
    });
  }
  return out;
}

const HistoryRowsSchema = z.array(z.record(z.string(), z.unknown()));

/**
 * Parses a training history: `{ epochs: [{ epoch, loss, ... }] }` or a bare array of per-epoch
 * objects (epoch defaults to the position). Non-numeric fields are dropped.
 */
export function parseHistory(text: string, file: string): History {
  const raw = parseJson(text, file, "history");
  const list = Array.isArray(raw)
    ? raw
    : raw !== null && typeof raw === "object"
      ? (raw as { epochs?: unknown }).epochs
      : undefined;
  const rows = HistoryRowsSchema.safeParse(list);
  if (!rows.success) {
    throw new ModelshipError({
      code: "history-invalid",
      message: 'history file must be a list of per-epoch objects, or { "epochs": [...] }',
      where: { file },
      hint: 'Write e.g. {"epochs": [{"epoch": 1, "loss": 0.5}]}.',
    });
  }
  const epochs = rows.data.map((r, i) => {
    const e: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) if (typeof v === "number" && Number.isFinite(v)) e[k] = v;
    return { ...e, epoch: typeof r.epoch === "number" && Number.isInteger(r.epoch) ? r.epoch : i + 1 };
  });
  return HistorySchema.parse({ epochs });
}
