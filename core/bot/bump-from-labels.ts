import type { Bump } from "../version/next-version.ts";

const LABEL_RE = /^model:(major|minor|patch)$/;

export type LabelBump =
  { ok: true; bump: Bump | null } | { ok: false; reason: "conflicting-bump-labels"; labels: string[] };

/** The bump a PR's `model:major|minor|patch` label asks for; null without one; refused when several disagree. */
export function bumpFromLabels(labels: readonly string[]): LabelBump {
  const found = [
    ...new Set(labels.map((l) => LABEL_RE.exec(l)?.[1]).filter((b): b is Bump => b !== undefined)),
  ];
  if (found.length > 1)
    return { ok: false, reason: "conflicting-bump-labels", labels: found.map((b) => `model:${b}`) };
  return { ok: true, bump: found[0] ?? null };
}
