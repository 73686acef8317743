import { rm } from "node:fs/promises";
import { ModelshipError, type Problem } from "../../core/errors.ts";
import type { Artifact, Registry } from "../../core/registry/registry-port.ts";
import {
  materializeVersionCache,
  verifyCachedCopy,
  versionCachePath,
} from "../../adapters/registry-common/version-cache.ts";
import { pinnedArtifactProblems } from "./pinned-artifact-problems.ts";

/** What the init container fetches: one version, and the digests the deploy pinned for it. */
export type FetchModelRequest = {
  name: string;
  version: string;
  /** The registry entry's artifacts as the deploy read them; the copy must match them exactly. */
  artifacts: readonly Artifact[];
  /** The shared volume; the run directory lands in `<root>/<name>/<version>`. */
  root: string;
};

/**
 * Puts a verified copy of a registered version under `root` and returns its directory. The
 * registry's entry must still list the pinned digests, the registry checks the bytes it hands
 * over, and the copy is checked against the pinned digests once more (a copy left by an earlier
 * start of the container is re-checked the same way). On any mismatch nothing is left behind and
 * the error carries model-digest-mismatch or artifact-digest-mismatch.
 */
export async function fetchModel(
  registry: Pick<Registry, "get" | "materialize">,
  req: FetchModelRequest,
  warn: (problem: Problem) => void = () => {},
): Promise<string> {
  const entry = await registry.get(req.name, req.version);
  if (entry === undefined) {
    throw new ModelshipError({
      code: "version-not-found",
      message: `${req.name} ${req.version} is not in the registry`,
      hint: "The version's tag or release was deleted after the deploy started; deploy a version that exists.",
    });
  }
  const changed = pinnedArtifactProblems(entry, req.artifacts);
  if (changed.length > 0) throw new ModelshipError(changed);
  const dir = await materializeVersionCache({ registry, cacheRoot: req.root, version: entry, warn });
  const check = await verifyCachedCopy(dir, req.artifacts);
  if (check === "verified") return dir;
  await rm(versionCachePath(req.root, req.name, req.version), { recursive: true, force: true });
  throw new ModelshipError(
    check === "absent"
      ? [{ code: "artifact-digest-mismatch", message: `${dir} vanished after it was fetched` }]
      : check.map((p) => ({ ...p, code: "artifact-digest-mismatch", hint: REFETCHED_HINT })),
  );
}

const REFETCHED_HINT =
  "The registry's files changed while they were fetched; the pod retries, and keeps failing until the registry holds the pinned files again.";
