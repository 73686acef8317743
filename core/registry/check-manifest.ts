import type { Problem } from "../errors.ts";
import type { VersionMetadata } from "./version-metadata.ts";

/** Builds the artifact-digest-mismatch problems of one stored version; `hint` says what was altered. */
export function artifactMismatch(
  metadata: VersionMetadata,
  tag: string,
  hint: string,
): (message: string) => Problem {
  return (message) => ({
    code: "artifact-digest-mismatch",
    message: `${metadata.name} ${metadata.version} (${tag}): ${message}`,
    hint,
  });
}

/** Problems when the stored entries (`actual`) are not exactly the `expected` ones, named `noun` (files, assets). */
export function manifestProblems(input: {
  expected: readonly string[];
  actual: readonly string[];
  noun: string;
  mismatch: (message: string) => Problem;
}): Problem[] {
  const { noun, mismatch } = input;
  const expected = new Set(input.expected);
  const actual = new Set(input.actual);
  const extra = input.actual.filter((n) => !expected.has(n));
  const missing = [...expected].filter((n) => !actual.has(n));
  const problems: Problem[] = [];
  if (extra.length > 0) problems.push(mismatch(`${noun} not in the manifest: ${extra.join(", ")}`));
  if (missing.length > 0) problems.push(mismatch(`${noun} missing: ${missing.join(", ")}`));
  return problems;
}

/** Whether a recorded path stays inside the run directory: no empty, `.`, `..` or `.git` segment. */
export function isSafeArtifactPath(path: string): boolean {
  return path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && s !== ".git");
}
