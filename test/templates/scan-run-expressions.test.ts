import { describe, expect, it } from "vitest";
import { actionlintFindings } from "./lint-workflow.ts";
import { renderSamples } from "./render-samples.ts";
import { contextReferences, scanScriptExpressions } from "./scan-run-expressions.ts";

const workflow = (run: string) => `on: issue_comment
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - name: s
        run: |
${run
  .split("\n")
  .map((l) => `          ${l}`)
  .join("\n")}
`;

describe("scanScriptExpressions", () => {
  it.each([
    ['echo "${{ github.event.comment.body }}"', "github.event.comment.body"],
    ["echo ${{github.event.pull_request.title}}", "github.event.pull_request.title"],
    ["git checkout ${{ github.head_ref }}", "github.head_ref"],
    ["echo ${{ github.ref_name }}", "github.ref_name"],
    ["modelship train --params '${{ inputs.params }}'", "inputs.params"],
    ["echo ${{ steps.parse.outputs.args }}", "steps.parse.outputs.args"],
    ["echo ${{ needs.plan.outputs.trials }}", "needs.plan.outputs.trials"],
    ["echo ${{ matrix.trial.id }}", "matrix.trial.id"],
    ["echo ${{ format('{0}', github.event.issue.title) }}", "github.event.issue.title"],
    ["echo ${{ github.event['comment']['body'] }}", "github.event.*.*"],
    ["echo ${{ toJSON(github.event) }}", "github.event"],
    ["echo ok\necho ${{ env.TITLE }}", "env.TITLE"],
  ])("catches %s", async (run, context) => {
    const findings = scanScriptExpressions(workflow(run));
    expect(findings.map((f) => f.context)).toContain(context);
  });

  it.each([
    'echo "$TITLE"',
    "echo ${{ runner.temp }}/x",
    "echo ${{ github.run_id }}-${{ github.run_attempt }}",
    "echo '${{' not an expression",
  ])("accepts %s", (run) => {
    expect(scanScriptExpressions(workflow(run))).toEqual([]);
  });

  it("agrees with actionlint on a real injection", async () => {
    const text = workflow('echo "${{ github.event.comment.body }}"');
    expect(scanScriptExpressions(text)).toHaveLength(1);
    const lint = await actionlintFindings("x.yml", text, []);
    expect(lint.join("\n")).toContain("potentially untrusted");
  });

  it("catches an injection planted in the real training template", async () => {
    const train = (await renderSamples()).find((s) => s.file.path.endsWith("modelship-train.yml"))!;
    const planted = train.file.content.replace(
      'fail() { echo "::error title=modelship::$1"; exit 1; }',
      'fail() { echo "::error title=modelship::$1"; exit 1; }\n          echo "${{ inputs.params }}"',
    );
    expect(planted).not.toBe(train.file.content);
    expect(scanScriptExpressions(train.file.content)).toEqual([]);
    expect(scanScriptExpressions(planted)).toEqual([
      { job: "train", step: "Check inputs", expression: "inputs.params", context: "inputs.params" },
    ]);
  });

  it("reads context paths, not function names or string literals", () => {
    expect(contextReferences("contains(github.event.issue.labels.*.name, 'inputs.x') && true")).toEqual([
      "github.event.issue.labels.*.name",
    ]);
  });
});
