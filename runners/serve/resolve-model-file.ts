import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * The model.onnx a path names: the file itself, `<dir>/model.onnx` for a model directory, or
 * `<run>/model/model.onnx` for a run directory.
 */
export async function resolveModelFile(path: string): Promise<string> {
  const abs = resolve(path);
  const info = await stat(abs).catch(() => undefined);
  if (info?.isFile()) return abs;
  if (info?.isDirectory()) {
    for (const candidate of [join(abs, "model.onnx"), join(abs, RUN_FILES.model)]) {
      if (await isFile(candidate)) return candidate;
    }
  }
  throw new ModelshipError({
    code: "model-not-found",
    message: info?.isDirectory() ? `no model.onnx in ${path}` : `model file ${path} does not exist`,
    where: { file: path },
    hint: "Pass an .onnx file, a model directory holding model.onnx, or a run directory.",
  });
}

/**
 * A URL-safe model name for a model file: the run's model name when the file sits in a run
 * directory, else the file name without `.onnx` (or its folder's name for `model.onnx`).
 */
export async function defaultModelName(modelFile: string): Promise<string> {
  const dir = dirname(modelFile);
  if (basename(modelFile) === "model.onnx" && basename(dir) === RUN_FILES.modelDir) {
    try {
      const record = JSON.parse(await readFile(join(dirname(dir), RUN_FILES.record), "utf8")) as {
        model?: { name?: unknown };
      };
      if (typeof record.model?.name === "string" && record.model.name !== "")
        return urlSafe(record.model.name);
    } catch {
      // No readable run.json: fall back to the path.
    }
  }
  let name = basename(modelFile).replace(/\.onnx$/i, "");
  if (name === "model") name = basename(dir) === RUN_FILES.modelDir ? basename(dirname(dir)) : basename(dir);
  return urlSafe(name) || "model";
}

function urlSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "-");
}
