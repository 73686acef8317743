import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import type { z } from "zod";
import type { Problem } from "../errors.ts";
import { ConfigSchema, type Config } from "./schema.ts";

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; problems: Problem[] };

/** Parses `.github/modelship.yml` text: YAML syntax errors and schema violations, each located. */
export function parseConfig(text: string, file: string): ParseConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = [...doc.errors, ...doc.warnings.filter((w) => w.code === "DUPLICATE_KEY")];
  if (syntax.length > 0) {
    return {
      ok: false,
      problems: syntax.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          code: "config-yaml-syntax",
          message: e.message.split("\n")[0] ?? e.message,
          where: { file, line: pos.line, column: pos.col },
          hint: "Fix the YAML syntax; `modelship validate` rechecks the file.",
        };
      }),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
    return {
      ok: false,
      problems: [
        {
          code: "config-not-a-mapping",
          message: "the config must be a YAML mapping (key: value pairs)",
          where: { file, line: 1, column: 1 },
          hint: "Start from `modelship init` or the example in Modelship's docs/configuration.md.",
        },
      ],
    };
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => issueToProblem(issue, doc, lineCounter, file)),
  };
}

function issueToProblem(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string): Problem {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  const dotted = path.length > 0 ? path.join(".") : "(top level)";
  let node = locate(doc, path);
  // For an unknown key, point at the key itself rather than its parent mapping.
  if (issue.code === "unrecognized_keys" && isMap(node)) {
    const key = issue.keys[0];
    const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
    if (pair && isScalar(pair.key)) node = pair.key;
  }
  const offset = node?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return {
    code: "config-invalid",
    message: `${dotted}: ${describeIssue(issue)}`,
    where: { file, line: pos.line, column: pos.col },
    hint: hintFor(issue),
  };
}

function locate(doc: Document, path: (string | number)[]): YamlNode | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (node && typeof node === "object" && "range" in node) return node as YamlNode;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

function hintFor(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "Check the spelling against schema/modelship.schema.json.";
  return "See schema/modelship.schema.json or Modelship's docs/configuration.md for allowed values.";
}
