import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import {
  REFERENCE_PROFILE_PATH,
  ReferenceProfileSchema,
  type ReferenceProfile,
} from "../../core/monitoring/reference-profile.ts";

/** The reference profile in a run directory or a registered version's directory (`model/reference-profile.json`). */
export async function readReferenceProfile(dir: string): Promise<ReferenceProfile> {
  const path = join(dir, REFERENCE_PROFILE_PATH);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new ModelshipError({
      code: missing ? "reference-profile-missing" : "reference-profile-unreadable",
      message: missing
        ? `${dir} has no ${REFERENCE_PROFILE_PATH}: there is nothing to compare current data with`
        : `cannot read ${path}: ${(err as Error).message}`,
      where: { file: path },
      hint: "Training writes the profile beside the model; train and register the model again (a train.command whose data has no model.target column writes none).",
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(path, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ReferenceProfileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(path, `${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

function invalid(path: string, what: string): ModelshipError {
  return new ModelshipError({
    code: "reference-profile-invalid",
    message: `${path} is not a reference profile: ${what}`,
    where: { file: path },
    hint: "The file is written by training and checked against its sha256 in the registry; do not edit it. Train again to get a fresh one.",
  });
}
