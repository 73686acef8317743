import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { driftArtifactName, parseDriftRunName } from "../../core/bot/drift-run.ts";
import { ACTION_PLACEHOLDER } from "../../core/init/init-options.ts";
import { renderTemplate } from "../../core/init/render-template.ts";
import { ACTION_INPUTS } from "../../action/inputs.ts";
import { actionlintFindings, parserErrors } from "./lint-workflow.ts";
import { scanScriptExpressions } from "./scan-run-expressions.ts";

// The drift workflow, rendered with the placeholders `modelship init` fills, checked by GitHub's
// own parser and actionlint like the other templates, and held to its contract with the App.

const PATH = ".github/workflows/modelship-drift.yml";
let content: string;
type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
};
let wf: {
  "run-name": string;
  on: Record<string, unknown>;
  jobs: { drift: { steps: Step[]; permissions: unknown } };
};

beforeAll(async () => {
  const text = await readFile("templates/workflows/modelship-drift.yml", "utf8");
  const rendered = renderTemplate(text, "templates/workflows/modelship-drift.yml", {
    __MODEL_NAME__: "penguins",
    __DEPLOY_RUNNER_LABELS__: "[self-hosted, serve-eu]",
  });
  if (!rendered.ok) throw new Error(JSON.stringify(rendered.problems));
  content = rendered.text;
  wf = parse(content) as typeof wf;
});

describe("modelship-drift.yml", () => {
  it("passes GitHub's workflow parser and actionlint, with no untrusted context in run steps", async () => {
    expect(parserErrors(PATH, content)).toEqual([]);
    expect(await actionlintFindings(PATH, content, ["serve-eu"])).toEqual([]);
    expect(scanScriptExpressions(content)).toEqual([]);
  });

  it("runs daily and by hand, reads only, and pins every action to a commit", () => {
    expect(Object.keys(wf.on)).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.jobs.drift.permissions).toEqual({ contents: "read" });
    // `modelship init --action` replaces the Action's placeholder with the real reference.
    for (const s of wf.jobs.drift.steps.filter((x) => x.uses && x.uses !== ACTION_PLACEHOLDER))
      expect(s.uses).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+@[0-9a-f]{40}$/);
  });

  it("names its runs and its artifact the way the App reads them", () => {
    const title = wf["run-name"].replace("${{ inputs.environment || 'production' }}", "production");
    expect(parseDriftRunName(title)).toEqual({ model: "penguins", environment: "production" });
    const upload = wf.jobs.drift.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(
      String(upload.with?.["name"]).replace("${{ steps.inputs.outputs.environment }}", "production"),
    ).toBe(driftArtifactName("production"));
    const check = wf.jobs.drift.steps.find((s) => s.uses === ACTION_PLACEHOLDER)!;
    expect(check.with).toMatchObject({
      command: "drift",
      environment: "${{ steps.inputs.outputs.environment }}",
    });
    // Dataset drift is the App's to report: the step must not fail on it.
    expect(check.with?.["fail-on-drift"]).toBeUndefined();
    for (const name of Object.keys(check.with ?? {})) expect(Object.keys(ACTION_INPUTS)).toContain(name);
    const dir = String(check.with?.["run-dir"]);
    expect(String(upload.with?.["path"]).trim().split("\n")).toEqual([
      `${dir}/drift.json`,
      `${dir}/drift.md`,
    ]);
  });
});
