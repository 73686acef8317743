import type { ActionOutcome } from "./outcome.ts";

/** The parts of `@actions/core` the exit path uses. */
export type CorePort = {
  setOutput(name: string, value: string): void;
  error(
    message: string,
    props?: { title?: string; file?: string; startLine?: number; startColumn?: number },
  ): void;
  info(message: string): void;
  setFailed(message: string): void;
  summary: { addRaw(text: string, addEOL?: boolean): { write(): Promise<unknown> } };
};

/** The one exit path: outputs, annotations, job summary, and a failed step unless the decision is pass. */
export async function publishOutcome(core: CorePort, outcome: ActionOutcome): Promise<void> {
  core.setOutput("decision", outcome.decision);
  core.setOutput("reason-code", outcome.reasonCode);
  for (const [name, value] of Object.entries(outcome.outputs)) {
    if (value !== undefined) core.setOutput(name, value);
  }
  for (const a of outcome.annotations) {
    core.error(a.message, {
      title: a.title,
      ...(a.file !== undefined ? { file: a.file } : {}),
      ...(a.line !== undefined ? { startLine: a.line } : {}),
      ...(a.column !== undefined ? { startColumn: a.column } : {}),
    });
  }
  if (process.env["GITHUB_STEP_SUMMARY"]) await core.summary.addRaw(outcome.summary, true).write();
  core.info(`modelship: ${outcome.decision} (${outcome.reasonCode}) ${outcome.message}`);
  if (outcome.decision !== "pass") core.setFailed(`${outcome.reasonCode}: ${outcome.message}`);
}
