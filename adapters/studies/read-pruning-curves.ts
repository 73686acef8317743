import { readFile } from "node:fs/promises";
import { ModelshipError } from "../../core/errors.ts";
import { PruningCurvesSchema, type PruningCurves } from "../../core/sweep/matrix-pruning.ts";

/**
 * The curves file a matrix trial prunes with (sweep-plan's `pruning`), checked against its
 * schema; null when it holds `null` (the study's pruner is none).
 */
export async function readPruningCurves(path: string): Promise<PruningCurves | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw invalid(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(path, `is not JSON (${(err as Error).message})`);
  }
  if (json === null) return null;
  const parsed = PruningCurvesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(path, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function invalid(path: string, detail: string): ModelshipError {
  return new ModelshipError({
    code: "pruning-file-invalid",
    message: `${path} ${detail.startsWith("cannot") || detail.startsWith("is ") ? detail : `is not a study's pruning curves file: ${detail}`}`,
    where: { file: path },
    hint: "Use the curves as sweep-plan wrote them: the Action's `pruning` output, or the file of `modelship sweep plan --study NAME --pruning-out FILE`.",
  });
}
