import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { CHECK_OUTPUT_LIMIT } from "../../core/bot/check-run-result.ts";
import { RUN_RECORD_FILES } from "./store-run-record.ts";

/** Opens the hidden block that carries a run's record in a check run's `output.text`. */
export const CHECK_RECORD_MARKER = "<!-- modelship:run-record v1 gzip+base64";

/** What a check run keeps of a run: the record files (never the model) and where the run came from. */
export const CheckRunRecordSchema = z.object({
  format: z.literal("modelship.run-record/1"),
  runId: z.string().min(1),
  /** File name (one of RUN_RECORD_FILES) → its text. */
  files: z.partialRecord(z.enum(RUN_RECORD_FILES), z.string()),
  /** Files left out to fit GitHub's 65,535-character output limit, biggest first. */
  omitted: z.array(z.string()),
  workflowRun: z.object({ id: z.number().int(), url: z.string() }).optional(),
  artifact: z.object({ id: z.number().int(), name: z.string(), digest: z.string().nullable() }).optional(),
});
export type CheckRunRecord = z.infer<typeof CheckRunRecordSchema>;

// Left out first when the record does not fit: the per-epoch history can be long.
const DROP_ORDER = ["history.json", "explanation.json", "validation.json"] as const;

/**
 * The check run `output.text` that keeps a run's record: a visible line and a hidden, gzip'd block.
 * Files are dropped (history first) until it fits GitHub's limit; run.json is always kept.
 */
export async function checkRunRecordText(
  runDir: string,
  meta: Pick<CheckRunRecord, "runId"> & Partial<Pick<CheckRunRecord, "workflowRun" | "artifact">>,
): Promise<string> {
  const files: CheckRunRecord["files"] = {};
  for (const name of RUN_RECORD_FILES) {
    const text = await readFile(join(runDir, name), "utf8").catch(() => null);
    if (text !== null) files[name] = text;
  }
  const omitted: string[] = [];
  for (;;) {
    const record: CheckRunRecord = { format: "modelship.run-record/1", ...meta, files, omitted };
    const text = renderRecordText(record);
    const next = DROP_ORDER.find((f) => files[f] !== undefined);
    if (text.length <= CHECK_OUTPUT_LIMIT || next === undefined) return text;
    delete files[next];
    omitted.push(next);
  }
}

function renderRecordText(record: CheckRunRecord): string {
  const packed = gzipSync(JSON.stringify(record))
    .toString("base64")
    .replace(/(.{76})/g, "$1\n");
  const kept = Object.keys(record.files).join(", ");
  const left = record.omitted.length ? ` (left out to fit: ${record.omitted.join(", ")})` : "";
  return [
    `Run record of \`${record.runId.replace(/`/g, "'")}\`: ${kept}${left}. \`modelship runs pull --source checks\` copies it into the run history.`,
    "",
    `${CHECK_RECORD_MARKER}`,
    packed.trimEnd(),
    "-->",
  ].join("\n");
}

/** The record in a check run's `output.text`; undefined when it has none or it is damaged. */
export function parseCheckRunRecord(text: string | null | undefined): CheckRunRecord | undefined {
  if (!text) return undefined;
  const start = text.indexOf(CHECK_RECORD_MARKER);
  if (start < 0) return undefined;
  const body = text.slice(start + CHECK_RECORD_MARKER.length);
  const end = body.indexOf("-->");
  if (end < 0) return undefined;
  try {
    const json = gunzipSync(Buffer.from(body.slice(0, end).replace(/\s+/g, ""), "base64")).toString("utf8");
    const parsed = CheckRunRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
