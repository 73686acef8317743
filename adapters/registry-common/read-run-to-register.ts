import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import type { Artifact, RegisterInput } from "../../core/registry/registry-port.ts";
import type { RunRecord } from "../../core/run/run-record.ts";
import { listRunFiles, type RunDirFile } from "./list-run-files.ts";

/**
 * Reads and checks a run directory that is about to be registered under `input.name`: its files
 * with their digests, and its run.json, which must have trained that model (and, with
 * `refuseFailed`, must not have failed).
 */
export async function readRunToRegister(
  input: Pick<RegisterInput, "runDir" | "name">,
  opts: { refuseFailed: boolean },
): Promise<{ record: RunRecord; files: RunDirFile[]; artifacts: Artifact[] }> {
  const { record, files } = await listRunFiles(input.runDir);
  if (opts.refuseFailed && record.status === "failed") {
    throw new ModelshipError({
      code: "run-failed",
      message: `run ${record.runId} failed${record.failure ? ` (${record.failure.code}: ${record.failure.message})` : ""}; a failed run is never registered`,
      where: { file: input.runDir },
      hint: "Fix the cause and train again; the failed run directory is kept for inspection.",
    });
  }
  if (record.model.name !== input.name) {
    throw new ModelshipError({
      code: "model-name-mismatch",
      message: `run ${record.runId} trained model "${record.model.name}", not "${input.name}"`,
      where: { file: join(input.runDir, "run.json") },
      hint: "Register it under the name in run.json, or check model.name in modelship.yml.",
    });
  }
  const artifacts = files.map(({ path, sha256, bytes }) => ({ path, sha256, bytes }));
  return { record, files, artifacts };
}
