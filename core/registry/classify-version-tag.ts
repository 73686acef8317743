import type { TagFormat } from "../version/tag-format.ts";
import type { VersionMetadata } from "./version-metadata.ts";

/** Name and version read back from a tag name (`parseTag`). */
export type ParsedTag = { name: string | undefined; version: string };

/** Why metadata stored under a tag does not describe that tag's version; undefined when it does. */
export function checkMetadataMatchesTag(metadata: VersionMetadata, parsed: ParsedTag): string | undefined {
  if (metadata.version !== parsed.version || (parsed.name !== undefined && metadata.name !== parsed.name))
    return `its metadata describes ${metadata.name} ${metadata.version}`;
  return undefined;
}

/**
 * What a version tag found while scanning for `name` (every name when undefined) is: one of its
 * versions, a tag that holds a version number without being a valid version of it (hand-made,
 * altered, or another name's when the format has no {name}), or another name's tag.
 */
export function classifyVersionTag(input: {
  format: TagFormat;
  name: string | undefined;
  parsed: ParsedTag;
  metadata: VersionMetadata | undefined;
}): "mine" | "occupied" | "other-name" {
  const { name, parsed, metadata } = input;
  if (name !== undefined && input.format.hasName && parsed.name !== name) return "other-name";
  if (metadata !== undefined && (name === undefined || metadata.name === name)) return "mine";
  return "occupied";
}
