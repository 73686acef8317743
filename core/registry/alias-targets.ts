import { parseAliasMessage } from "./alias-event.ts";

/** "name@version" → the aliases currently pointing at it, sorted. */
export type AliasTargets = Map<string, string[]>;

/**
 * Reads the alias heads of a backend (each ref with its head commit's message) into targets. A head
 * whose record names another ref (copied or renamed by hand) or records a removal is ignored.
 */
export function collectAliasTargets(
  heads: Iterable<{ ref: string; message: string }>,
  refFor: (name: string, alias: string) => string,
): AliasTargets {
  const map: AliasTargets = new Map();
  for (const { ref, message } of heads) {
    const e = parseAliasMessage(message);
    if (e === undefined || e.version === null || ref !== refFor(e.name, e.alias)) continue;
    const k = targetKey(e.name, e.version);
    map.set(k, [...(map.get(k) ?? []), e.alias].sort());
  }
  return map;
}

/** The aliases pointing at one version. */
export function aliasesOf(targets: AliasTargets, name: string, version: string): string[] {
  return targets.get(targetKey(name, version)) ?? [];
}

function targetKey(name: string, version: string): string {
  return `${name}@${version}`;
}
