import { mkdir } from "node:fs/promises";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import { parseFetchEnv } from "../../core/kubernetes/model-source.ts";
import { fetchModel } from "./fetch-model.ts";
import { openModelSource } from "./open-model-source.ts";

/** Reason codes that mean the bytes are not the pinned ones: a failed check (exit 1), not bad input. */
export const MISMATCH_CODES: readonly string[] = [
  "model-digest-mismatch",
  "artifact-digest-mismatch",
  "registry-metadata-invalid",
];

/**
 * The init container's program: reads the pinned version from `env`, fetches it into `root` and
 * verifies it. Returns the verified run directory; throws ModelshipError with a reason code.
 */
export async function fetchModelFromEnv(opts: {
  env: Readonly<Record<string, string | undefined>>;
  root: string;
  warn: (problem: Problem) => void;
}): Promise<string> {
  const parsed = parseFetchEnv(opts.env);
  if (!parsed.ok) throw new ModelshipError(parsed.problems);
  await mkdir(opts.root, { recursive: true });
  const token = opts.env["GITHUB_TOKEN"];
  const { registry, close } = await openModelSource(parsed.source, parsed.pinned, {
    ...(token ? { token } : {}),
    scratch: opts.root,
  });
  try {
    return await fetchModel(registry, { ...parsed.pinned, root: opts.root }, opts.warn);
  } finally {
    await close();
  }
}
