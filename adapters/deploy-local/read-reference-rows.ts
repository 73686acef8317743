import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ReferenceRowsSchema, type ReferenceRows } from "../../core/rollout/build-smoke-request.ts";

/** Where training saves real rows beside the model; smoke requests are built from them. */
export const REFERENCE_ROWS_FILE = "reference-rows.json";

/**
 * The reference rows of a model: `reference-rows.json` beside model.onnx, for a model directory,
 * a run directory (`model/`) or the .onnx file itself. Undefined when there are none or the file
 * is not valid; the analysis then falls back to a zero-filled request.
 */
export async function readReferenceRows(modelPath: string): Promise<ReferenceRows | undefined> {
  const dirs = modelPath.endsWith(".onnx") ? [dirname(modelPath)] : [modelPath, join(modelPath, "model")];
  for (const dir of dirs) {
    let text: string;
    try {
      text = await readFile(join(dir, REFERENCE_ROWS_FILE), "utf8");
    } catch {
      continue;
    }
    try {
      const parsed = ReferenceRowsSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
