import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { locateExpectations } from "../../core/data/expectations/locate-expectations.ts";
import { runExpectationSuite } from "../../core/data/expectations/run-expectation-suite.ts";
import { reportMarker } from "../../core/report/render-markdown.ts";
import {
  addTrainingRun,
  botComments,
  commentPayload,
  startHarness,
  workflowRunCompleted,
  type Harness,
} from "./bot-harness.ts";
import { penguinsTable } from "../support/penguins-table.ts";

const CONFIG = `model:
  name: iris
data:
  source: [data/penguins.json]
  expectations:
    - { expectation: expect_column_values_to_be_in_set, column: island, value_set: [biscoe, dream] }
    - { expectation: expect_column_to_exist, column: species }
    - expectation: expect_table_row_count_to_be_between
      min_value: 1000
      severity: warning
`;

/** What the workflow's validate job uploads: the suite run on the real penguins data. */
function validationJson(): string {
  const parsed = parseConfig(CONFIG, ".github/modelship.yml");
  if (!parsed.ok) throw new Error("config");
  const table = penguinsTable();
  const locations = locateExpectations(CONFIG, ".github/modelship.yml");
  return JSON.stringify(runExpectationSuite(table, parsed.config.data.expectations, { locations }));
}

let h: Harness;
afterEach(() => h.checkAndClose());

async function failedRun(withValidation: boolean): Promise<void> {
  await h.receive("issue_comment", commentPayload(h, { body: "/train" }));
  const check = h.repo.checkRuns[0]!;
  const run = addTrainingRun(h.repo, {
    id: 5150,
    correlation: check.externalId!,
    headSha: check.headSha,
    conclusion: "failure",
  });
  if (withValidation) {
    h.repo.artifacts.push({
      id: 5151,
      runId: 5150,
      name: "modelship-run-validation",
      files: [{ name: "validation.json", data: validationJson() }],
    });
  }
  await h.receive("workflow_run", workflowRunCompleted(run), "validation-failed");
}

describe("a training run stopped by its validate job", () => {
  it("fails the check with annotations on the failed expectations' lines and reports them on the PR", async () => {
    h = await startHarness({ config: CONFIG });
    await failedRun(true);
    const check = h.repo.checkRuns[0]!;
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("The data failed its expectations, so nothing was trained.");
    expect(check.annotations).toEqual([
      expect.objectContaining({
        path: ".github/modelship.yml",
        start_line: 6,
        end_line: 6,
        annotation_level: "failure",
        title: "Data expectation failed: expect_column_values_to_be_in_set",
        message: expect.stringMatching(
          /^column 'island': observed 0\.848\d+; 52 unexpected \(15\.1%\), e\.g\. "torgersen" at data\/penguins\.json:1/,
        ),
      }),
      expect.objectContaining({ start_line: 8, annotation_level: "warning" }),
    ]);
    const [sticky] = botComments(h, 1).filter((b) => b.includes(reportMarker("iris")));
    expect(sticky).toContain("(`data-invalid`");
    expect(sticky).toContain(
      "<details open><summary>❌ Data validation: 1 failed, 1 warning, 1 of 3 hold</summary>",
    );
  });

  it("a failed run without validation results stays a plain run failure", async () => {
    h = await startHarness({ config: CONFIG });
    await failedRun(false);
    const check = h.repo.checkRuns[0]!;
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check.output.title).toBe("The training run failed.");
    expect(check.annotations ?? []).toEqual([]);
  });
});
