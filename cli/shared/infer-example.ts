import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { exampleInputs } from "../../core/features/example-inputs.ts";
import { parsePreprocessor } from "../../core/features/preprocessor.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";

/** A curl command that sends one typical row to the deployed model. */
export async function inferExample(url: string, modelName: string, runDir: string): Promise<string> {
  const file = join(runDir, RUN_FILES.preprocess);
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return `  curl ${url}/v2/models/${modelName}`;
  const body = JSON.stringify({ inputs: exampleInputs(parsePreprocessor(JSON.parse(text), file)) });
  return `  curl -s ${url}/v2/models/${modelName}/infer \\\n    -H 'content-type: application/json' \\\n    -d '${body}'`;
}
