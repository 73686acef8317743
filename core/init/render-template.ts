import type { Problem } from "../errors.ts";

/** Placeholders the templates under `templates/` may carry. */
export const PLACEHOLDERS = [
  "__MODEL_NAME__",
  "__RUNNER_LABELS__",
  "__DEPLOY_RUNNER_LABELS__",
  "__ARTIFACT_NAME__",
  "__DEPLOY_TARGET__",
  "__TASK__",
  "__TARGET_COLUMN__",
  "__DATA_SOURCE__",
  "__FEATURES__",
  "__DATA_TRANSFORMS__",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export type RenderTemplateResult = { ok: true; text: string } | { ok: false; problems: Problem[] };

const ANY_PLACEHOLDER = /__[A-Z][A-Z_]*[A-Z]__/g;

/**
 * Replaces every placeholder of `values` (and each `replace` pair) in `text`; fails naming the
 * template line of any placeholder left over, so a template never ships half rendered.
 */
export function renderTemplate(
  text: string,
  file: string,
  values: Readonly<Partial<Record<Placeholder, string>>>,
  replace: readonly (readonly [string, string])[] = [],
): RenderTemplateResult {
  let out = text;
  for (const [from, to] of replace) out = out.split(from).join(to);
  for (const [name, value] of Object.entries(values)) out = out.split(name).join(value);
  const problems: Problem[] = [];
  for (const match of out.matchAll(ANY_PLACEHOLDER)) {
    const before = out.slice(0, match.index);
    const line = before.split("\n").length;
    const column = match.index - before.lastIndexOf("\n");
    problems.push({
      code: "template-placeholder-left",
      message: `placeholder ${match[0]} has no value`,
      where: { file, line, column },
      hint: `Give it a value in renderInitFiles, or remove it from ${file}.`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, text: out };
}

/** A YAML flow sequence of quoted strings: labels such as `true` or `1.0` stay strings. */
export function yamlFlowList(items: readonly string[]): string {
  return `[${items.map((i) => JSON.stringify(i)).join(", ")}]`;
}

/**
 * The value of a YAML key as a block sequence of flow mappings, indented under a key at `indent`
 * spaces, or ` []`; it starts with its own separator, so it replaces ` __PLACEHOLDER__` after `key:`.
 */
export function yamlBlockOfMaps(items: readonly Readonly<Record<string, string>>[], indent: number): string {
  if (items.length === 0) return " []";
  const pad = " ".repeat(indent + 2);
  const map = (o: Readonly<Record<string, string>>) =>
    `{ ${Object.entries(o)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(", ")} }`;
  return items.map((o) => `\n${pad}- ${map(o)}`).join("");
}
