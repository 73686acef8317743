import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { classifierModel } from "../fixtures/onnx/make-models.ts";

/**
 * The iris-candidate run fixture copied to `work/name`, as a training workflow's artifact holds it:
 * a real model (the App loads it once before it registers a version), `accuracy` in its metrics and
 * run id `run-<name>`.
 */
export async function candidateRunDir(
  work: string,
  name: string,
  accuracy: number,
  model: Uint8Array = classifierModel(),
): Promise<string> {
  const dir = join(work, name);
  await cp("test/fixtures/runs/iris-candidate", dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(join(dir, "model", "model.onnx"), model);
  const metrics = JSON.parse(await readFile(join(dir, "metrics.json"), "utf8")) as Record<string, number>;
  await writeFile(join(dir, "metrics.json"), JSON.stringify({ ...metrics, accuracy }));
  const record = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as { runId: string };
  record.runId = `run-${name}`;
  await writeFile(join(dir, "run.json"), JSON.stringify(record));
  return dir;
}
