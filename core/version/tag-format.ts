import type { Problem } from "../errors.ts";
import { checkRefFormat } from "./check-ref-format.ts";
import { parseSemver } from "./semver.ts";

/** Model names as `model.name` in modelship.yml allows them. */
export const MODEL_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

type Part = { literal: string } | { placeholder: "name" | "version" };

/** A validated `registry.tagFormat`: renders tags and parses them back without ambiguity. */
export type TagFormat = { source: string; parts: readonly Part[]; hasName: boolean; pattern: RegExp };

export type TagFormatResult = { ok: true; format: TagFormat } | { ok: false; problems: Problem[] };

// Characters a model name or a version may contain; a separator needs one outside this set.
const NAME_OR_VERSION_CHAR = /^[A-Za-z0-9._+-]$/;
const SAMPLES = [
  { name: "model", version: "1.0.0" },
  { name: "my-model.v2", version: "10.20.30-rc.1+build.5" },
];

/** Validates a tag format such as `model/{name}/v{version}`; problems carry code invalid-tag-format. */
export function parseTagFormat(source: string): TagFormatResult {
  const problems: Problem[] = [];
  const fail = (message: string, hint?: string) =>
    problems.push({
      code: "invalid-tag-format",
      message: `registry.tagFormat "${source}" ${message}`,
      ...(hint ? { hint } : {}),
    });

  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(/\{([^{}]*)\}/g)) {
    if (m.index > last) parts.push({ literal: source.slice(last, m.index) });
    if (m[1] === "name" || m[1] === "version") parts.push({ placeholder: m[1] });
    else fail(`has an unknown placeholder {${m[1]}}`, "Only {name} and {version} are replaced.");
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ literal: source.slice(last) });
  if (parts.some((p) => "literal" in p && /[{}]/.test(p.literal))) fail("has an unmatched '{' or '}'");

  const count = (name: "name" | "version") =>
    parts.filter((p) => "placeholder" in p && p.placeholder === name).length;
  if (count("version") !== 1) fail("must contain {version} exactly once");
  if (count("name") > 1) fail("must contain {name} at most once");
  if (source.startsWith("refs/")) {
    fail("must not start with refs/", "Tags live under refs/tags/ already: write model/{name}/v{version}.");
  }
  const placeholders = parts.flatMap((p, i) => ("placeholder" in p ? [i] : []));
  if (placeholders.length === 2) {
    const between = parts.slice((placeholders[0] as number) + 1, placeholders[1]);
    const sep = between.map((p) => ("literal" in p ? p.literal : "")).join("");
    if (![...sep].some((c) => !NAME_OR_VERSION_CHAR.test(c))) {
      fail(
        "cannot be parsed back unambiguously: {name} and {version} must be separated by a character that appears in neither (such as '/' or '@')",
        "Use model/{name}/v{version}.",
      );
    }
  }
  if (problems.length) return { ok: false, problems };

  const pattern = new RegExp(
    "^" +
      parts
        .map((p) =>
          "literal" in p
            ? p.literal.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
            : p.placeholder === "name"
              ? "(?<name>[a-z0-9][a-z0-9._-]*)"
              : "(?<version>[0-9][0-9A-Za-z.+-]*)",
        )
        .join("") +
      "$",
  );
  const format: TagFormat = { source, parts, hasName: count("name") === 1, pattern };
  for (const sample of SAMPLES) {
    const rendered = renderTag(format, sample);
    if (!rendered.ok) {
      return {
        ok: false,
        problems: [
          {
            ...rendered.problem,
            code: "invalid-tag-format",
            message: `registry.tagFormat "${source}": ${rendered.problem.message}`,
          },
        ],
      };
    }
  }
  return { ok: true, format };
}

/** The tag name (without refs/tags/) for one version; a problem when the result is not a valid ref. */
export function renderTag(
  format: TagFormat,
  v: { name: string; version: string },
): { ok: true; tag: string } | { ok: false; problem: Problem } {
  if (!MODEL_NAME_RE.test(v.name)) {
    return {
      ok: false,
      problem: {
        code: "invalid-model-name",
        message: `model name "${v.name}" must be lower-case letters, digits, '.', '_' or '-', at most 63 characters`,
      },
    };
  }
  if (!parseSemver(v.version)) {
    return {
      ok: false,
      problem: { code: "invalid-version", message: `"${v.version}" is not a semantic version` },
    };
  }
  const tag = format.parts
    .map((p) => ("literal" in p ? p.literal : p.placeholder === "name" ? v.name : v.version))
    .join("");
  const why = checkRefFormat(`refs/tags/${tag}`);
  if (why) {
    return {
      ok: false,
      problem: {
        code: "invalid-tag-name",
        message: `tag "${tag}" is not a valid git ref name: it ${why}`,
        hint: "Pick a model name or tag format that git accepts (see `git check-ref-format`).",
      },
    };
  }
  return { ok: true, tag };
}

/** Reads name and version back from a tag name (without refs/tags/); undefined when the tag is not one of ours. */
export function parseTag(
  format: TagFormat,
  tag: string,
): { name: string | undefined; version: string } | undefined {
  const m = format.pattern.exec(tag);
  const version = m?.groups?.["version"];
  if (version === undefined || !parseSemver(version)) return undefined;
  const name = m?.groups?.["name"];
  if (name !== undefined && !MODEL_NAME_RE.test(name)) return undefined;
  return { name, version };
}
