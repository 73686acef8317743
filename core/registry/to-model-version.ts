import { compareVersions } from "../version/semver.ts";
import type { ModelVersion } from "./registry-port.ts";
import type { VersionMetadata } from "./version-metadata.ts";

/** The port's view of stored metadata, with the aliases pointing at it when it was read. */
export function toModelVersion(m: VersionMetadata, tag: string, aliases: string[]): ModelVersion {
  return {
    name: m.name,
    version: m.version,
    tag,
    createdAt: m.createdAt,
    runId: m.runId,
    metrics: m.metrics,
    params: m.params,
    dataFingerprint: m.dataFingerprint,
    lineage: {
      commit: m.lineage.commit,
      branch: m.lineage.branch,
      runId: m.lineage.runId,
      parentVersion: m.lineage.parentVersion,
      ...(m.lineage.pr !== undefined ? { pr: m.lineage.pr } : {}),
    },
    artifacts: m.artifacts,
    ...(m.signature ? { signature: m.signature } : {}),
    aliases,
  };
}

/** The order `Registry.list` promises: names ascending, each name's versions newest (highest) first. */
export function compareListedVersions(a: ModelVersion, b: ModelVersion): number {
  return a.name === b.name ? compareVersions(b.version, a.version) : a.name < b.name ? -1 : 1;
}
