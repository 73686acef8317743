import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { fitPreprocessor, type FittedPreprocessor } from "../../../core/features/preprocessor.ts";
import { linearClassifierModel } from "../../fixtures/onnx/make-models.ts";

const EXAMPLE = join(import.meta.dirname, "..", "..", "..", "examples", "penguins");

export type PenguinsModel = {
  dir: string;
  preprocessor: FittedPreprocessor;
  /** The example's rows (raw features and species). */
  rows: Array<Record<string, string | number | null>>;
  features: string[];
};

/**
 * A model directory as training writes it for the penguins example: preprocess.json fitted with the
 * example's own transforms on its real rows, and a linear classifier (fixed weights) over them.
 */
export async function writePenguinsModel(dir: string): Promise<PenguinsModel> {
  const config = ConfigSchema.parse(parse(await readFile(join(EXAMPLE, "modelship.yml"), "utf8")));
  const rows = JSON.parse(
    await readFile(join(EXAMPLE, "data", "penguins.json"), "utf8"),
  ) as PenguinsModel["rows"];
  const preprocessor = fitPreprocessor(rows, {
    features: config.model.features,
    target: config.model.target,
    task: config.model.task,
    transforms: config.data.transforms,
  });
  const classes = preprocessor.labels.length;
  const w = Array.from({ length: preprocessor.outputWidth }, (_, i) =>
    Array.from({ length: classes }, (_, j) => Math.sin(1 + i * classes + j)),
  );
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model.onnx"), linearClassifierModel(w, new Array<number>(classes).fill(0)));
  await writeFile(join(dir, "preprocess.json"), JSON.stringify(preprocessor));
  return { dir, preprocessor, rows, features: config.model.features };
}

/** A V2 infer body holding `rows` as raw feature columns, one value per row. */
export function rawInferBody(
  rows: ReadonlyArray<Record<string, unknown>>,
  p: FittedPreprocessor,
  id?: string,
): Record<string, unknown> {
  return {
    ...(id === undefined ? {} : { id }),
    inputs: p.columns.map((c) => ({
      name: c.name,
      datatype: c.kind === "numeric" ? "FP32" : "BYTES",
      shape: [rows.length],
      data: rows.map((r) => r[c.name] ?? null),
    })),
  };
}
