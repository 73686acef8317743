import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import type { ModelLoadCheck } from "../../core/registry/registry-port.ts";
import {
  buildReferenceRequests,
  buildSmokeRequest,
  ReferenceRowsSchema,
  type ReferenceRows,
} from "../../core/rollout/build-smoke-request.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import { parseInferRequest } from "./parse-infer-request.ts";
import { loadServedModel } from "./served-model.ts";

const REFERENCE_ROWS = "model/reference-rows.json";

/**
 * The registration load check: loads a run's model/model.onnx (with its preprocess.json) in
 * onnxruntime exactly as the server does, and answers one request — the first reference row
 * saved at training when it fits, else a zero request built from the model's inputs. Returns
 * model-load-failed problems; never throws for a bad model.
 */
export const checkModelLoads: ModelLoadCheck = async (runDir) => {
  const modelPath = join(runDir, RUN_FILES.model);
  const failed = (message: string): Problem => ({
    code: "model-load-failed",
    message: `${message}; nothing was registered`,
    where: { file: modelPath },
    hint: "The model file is incomplete or corrupt: train again (or copy the whole run directory again).",
  });
  let model;
  try {
    model = await loadServedModel({ name: "load-check", version: "0", modelPath }, { maxBatchRows: 1 });
  } catch (err) {
    return [failed(`cannot be loaded: ${describe(err)}`)];
  }
  try {
    const metadata = { name: model.name, inputs: model.inputs };
    const rows = await readReferenceRows(runDir);
    const fromRows = rows ? buildReferenceRequests(metadata, rows) : undefined;
    const built = fromRows?.ok
      ? { ok: true as const, request: fromRows.requests[0]! }
      : buildSmokeRequest(metadata);
    if (!built.ok) return [failed(`cannot be fed a request: ${built.message}`)];
    try {
      await model.infer(parseInferRequest(built.request, Number.MAX_SAFE_INTEGER));
    } catch (err) {
      return [failed(`loads but fails to answer one request: ${describe(err)}`)];
    }
    return [];
  } finally {
    await model.close();
  }
};

async function readReferenceRows(runDir: string): Promise<ReferenceRows | undefined> {
  try {
    const parsed = ReferenceRowsSchema.safeParse(
      JSON.parse(await readFile(join(runDir, REFERENCE_ROWS), "utf8")),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  if (err instanceof ModelshipError) return err.problems.map((p) => p.message).join("; ");
  return String((err as Error)?.message ?? err).split("\n")[0] ?? "";
}
