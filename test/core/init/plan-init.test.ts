import { describe, expect, it } from "vitest";
import { planInit, planWrites } from "../../../core/init/plan-init.ts";
import { renderTemplate, yamlFlowList } from "../../../core/init/render-template.ts";

const file = {
  path: ".github/modelship.yml",
  template: "config/modelship.yml",
  content: "model:\n  name: churn\n",
};

describe("planInit", () => {
  it.each([
    ["absent", undefined, false, "create"],
    ["identical", file.content, false, "unchanged"],
    ["identical but with CRLF line endings", file.content.replace(/\n/g, "\r\n"), false, "unchanged"],
    ["edited", "model:\n  name: mine\n", false, "keep-edits"],
    ["edited, --force", "model:\n  name: mine\n", true, "overwrite"],
    ["identical, --force", file.content, true, "unchanged"],
  ] as const)("%s → %s", (_case, current, force, kind) => {
    const existing = new Map(current === undefined ? [] : [[file.path, current]]);
    const [step] = planInit([file], existing, { force });
    expect(step).toEqual({ path: file.path, kind, content: file.content });
    expect(planWrites([step!])).toBe(kind === "create" || kind === "overwrite");
  });
});

describe("renderTemplate", () => {
  it("replaces placeholders and plain replacements", () => {
    const r = renderTemplate(
      "name: __MODEL_NAME__\nuses: OWNER/modelship@v1\n",
      "t.yml",
      { __MODEL_NAME__: "churn" },
      [["OWNER/modelship@v1", "acme/modelship@v1"]],
    );
    expect(r).toEqual({ ok: true, text: "name: churn\nuses: acme/modelship@v1\n" });
  });

  it("names the line and column of a placeholder left without a value", () => {
    const r = renderTemplate("a: 1\nb: x-__NEW_THING__\n", "t.yml", {});
    expect(r).toEqual({
      ok: false,
      problems: [
        expect.objectContaining({
          code: "template-placeholder-left",
          where: { file: "t.yml", line: 2, column: 6 },
        }),
      ],
    });
  });

  it("quotes labels so YAML keeps them strings", () => {
    expect(yamlFlowList(["self-hosted", "true", "1.0"])).toBe('["self-hosted", "true", "1.0"]');
  });
});
