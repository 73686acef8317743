import { parse } from "yaml";

/** A `${{ }}` expression in code (a `run:` script or github-script's `script:`) that is not allowed. */
export type ScriptExpressionFinding = { job: string; step: string; expression: string; context: string };

// Contexts whose values the workflow's own runner or GitHub fixes; everything else (github.event,
// inputs, head_ref and ref names, step and job outputs, matrix values, env, vars) may carry text
// an attacker chose and must reach a script only through `env:`.
const TRUSTED = [
  /^runner\.[a-z_]+$/,
  /^github\.(run_id|run_number|run_attempt|sha|repository|repository_id|repository_owner_id|workspace|action_path|server_url|api_url|job)$/,
  /^strategy\.(job-index|job-total)$/,
  /^job\.status$/,
];

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;
// A context reference: an identifier followed by property accesses (`a.b`, `a['b']`, `a.*`).
const REFERENCE =
  /(?<![\w.'-])([A-Za-z_][\w-]*)(?![\w-])((?:\s*\.\s*(?:[A-Za-z_*][\w-]*)|\s*\[[^\]]*\])*)(?!\s*\()/g;
const LITERALS = new Set(["true", "false", "null", "NaN", "Infinity"]);

function stripStrings(expr: string): string {
  return expr.replace(/'(?:[^']|'')*'/g, "''");
}

/** Context paths an expression reads, normalised (`github.event['x']` → `github.event.x`). */
export function contextReferences(expression: string): string[] {
  const refs: string[] = [];
  for (const m of stripStrings(expression).matchAll(REFERENCE)) {
    const head = m[1] ?? "";
    if (LITERALS.has(head)) continue;
    const tail = (m[2] ?? "")
      .replace(/\s+/g, "")
      .replace(/\[''\]/g, ".*")
      .replace(/\[([^\]]*)\]/g, ".$1");
    refs.push(`${head}${tail}`);
  }
  return refs;
}

/** Every expression in the workflow's scripts that reads a context outside the trusted list. */
export function scanScriptExpressions(workflowText: string): ScriptExpressionFinding[] {
  const doc = parse(workflowText) as { jobs?: Record<string, { steps?: Record<string, unknown>[] }> };
  const findings: ScriptExpressionFinding[] = [];
  for (const [job, def] of Object.entries(doc.jobs ?? {})) {
    for (const [i, step] of (def.steps ?? []).entries()) {
      const name = typeof step["name"] === "string" ? step["name"] : `step ${i + 1}`;
      const withs = (step["with"] ?? {}) as Record<string, unknown>;
      const code = [
        step["run"],
        typeof step["uses"] === "string" && step["uses"].startsWith("actions/github-script")
          ? withs["script"]
          : undefined,
      ];
      for (const text of code) {
        if (typeof text !== "string") continue;
        for (const m of text.matchAll(EXPRESSION)) {
          const expression = (m[1] ?? "").trim();
          for (const context of contextReferences(expression)) {
            if (!TRUSTED.some((re) => re.test(context)))
              findings.push({ job, step: name, expression, context });
          }
        }
      }
    }
  }
  return findings;
}
