import type { Problem } from "../../core/errors.ts";
import type { Artifact, ModelVersion } from "../../core/registry/registry-port.ts";

/**
 * Differences between a registry entry's artifacts and the ones a deploy pinned: a file added,
 * removed, resized or with another sha256 means the entry changed after the deploy read it.
 */
export function pinnedArtifactProblems(entry: ModelVersion, pinned: readonly Artifact[]): Problem[] {
  const key = (a: Artifact) => `${a.sha256} ${a.bytes}`;
  const recorded = new Map(entry.artifacts.map((a) => [a.path, key(a)]));
  const wanted = new Map(pinned.map((a) => [a.path, key(a)]));
  const paths = [...new Set([...recorded.keys(), ...wanted.keys()])].sort();
  const differing = paths.filter((p) => recorded.get(p) !== wanted.get(p));
  if (differing.length === 0) return [];
  return [
    {
      code: "model-digest-mismatch",
      message: `${entry.name} ${entry.version} (${entry.tag}) no longer holds the files the deploy pinned: ${differing.join(", ")} differ`,
      hint: "The registry entry was replaced after the deploy read it. Do not serve it; register a new version and deploy that.",
    },
  ];
}
