import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTION_COMMANDS } from "../../action/inputs.ts";
import { INIT_ARTIFACT_NAME } from "../../core/init/init-options.ts";
import { actionlintFindings, parserErrors } from "./lint-workflow.ts";
import { renderSamples, SAMPLE_OPTIONS, type RenderedSample } from "./render-samples.ts";

type Step = { id?: string; uses?: string; if?: string; with?: Record<string, unknown> };
type Job = { "runs-on": unknown; needs?: unknown; permissions?: unknown; steps: Step[] };

const PATH = ".github/workflows/modelship-train.yml";
let samples: RenderedSample[] = [];
beforeAll(async () => {
  samples = (await renderSamples()).filter((s) => s.file.path === PATH);
});

describe("the train template's data validation job", () => {
  it.each(Object.keys(SAMPLE_OPTIONS))(
    "validates on ubuntu-latest before the GPU job is scheduled (%s)",
    async (name) => {
      const sample = samples.find((s) => s.sample === name)!;
      const jobs = (parse(sample.file.content) as { jobs: Record<string, Job> }).jobs;
      const validate = jobs["validate"]!;
      expect(validate["runs-on"]).toBe("ubuntu-latest");
      expect(validate.permissions).toEqual({ contents: "read" });
      expect(jobs["train"]!.needs).toBe("validate");
      expect(jobs["train"]!["runs-on"]).toEqual(SAMPLE_OPTIONS[name]!.runnerLabels);
      const action = validate.steps.find((s) => s.id === "validate")!;
      expect(action.uses).toBe(SAMPLE_OPTIONS[name]!.action);
      expect(action.with).toEqual({ command: "data-validate", config: ".github/modelship.yml" });
      expect(ACTION_COMMANDS).toContain("data-validate");
      const upload = validate.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
      // Uploaded when the suite failed too: that is when the App needs it for its annotations.
      expect(upload.if).toContain("!cancelled()");
      expect(upload.with).toMatchObject({
        name: `${INIT_ARTIFACT_NAME}-validation`,
        path: "${{ steps.validate.outputs.report-path }}",
      });
      expect(parserErrors(PATH, sample.file.content)).toEqual([]);
      expect(await actionlintFindings(PATH, sample.file.content, sample.labels)).toEqual([]);
    },
  );
});
