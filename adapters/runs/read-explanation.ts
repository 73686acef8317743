import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { EXPLANATION_FILE, ExplanationSchema } from "../../core/explain/explanation-file.ts";
import type { Explanation } from "../../core/explain/permutation-importance.ts";
import { parseJsonText, schemaProblems } from "../run-dir/parse-json-text.ts";

/** Reads `<run>/explanation.json`; null when the run has none. */
export async function readExplanation(runDir: string): Promise<Explanation | null> {
  const file = join(runDir, EXPLANATION_FILE);
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (text === null) return null;
  const json = parseJsonText(text, file);
  if (!json.ok) throw new ModelshipError(json.problem);
  const parsed = ExplanationSchema.safeParse(json.value);
  if (!parsed.success)
    throw new ModelshipError(schemaProblems(parsed.error.issues, text, file, "explanation-invalid"));
  return parsed.data;
}
