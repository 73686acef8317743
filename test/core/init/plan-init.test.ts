import { describe, expect, it } from "vitest";
import { planGitignore } from "../../../core/init/plan-gitignore.ts";
import { planInit, planWrites } from "../../../core/init/plan-init.ts";
import { planStarterData } from "../../../core/init/plan-starter-data.ts";
import { mergeProfiles, profileColumns } from "../../../core/init/profile-columns.ts";
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

describe("planGitignore", () => {
  it.each([
    ["absent", undefined, "create", ".modelship/\n"],
    ["empty", "", "update", ".modelship/\n"],
    ["other lines", "dist\n", "update", "dist\n.modelship/\n"],
    ["no final newline", "dist", "update", "dist\n.modelship/\n"],
    ["CRLF", "dist\r\n", "update", "dist\r\n.modelship/\r\n"],
    ["the entry", "dist\n.modelship/\n", "unchanged", "dist\n.modelship/\n"],
    ["an anchored entry", "/.modelship\n", "unchanged", "/.modelship\n"],
    ["its contents ignored", "  .modelship/**  \n", "unchanged", "  .modelship/**  \n"],
    ["a similar name only", ".modelship-cache/\n", "update", ".modelship-cache/\n.modelship/\n"],
  ] as const)("%s → %s", (_c, current, kind, content) => {
    expect(planGitignore(current)).toEqual({ path: ".gitignore", kind, content });
  });
});

describe("profileColumns and mergeProfiles", () => {
  it("tells numbers (numeric strings too) from words, and gaps, column by column", () => {
    const rows = [
      { a: 1, b: "x", c: "2.5" },
      { a: null, b: "y", c: "" },
      { a: 3, b: "4" },
    ];
    expect(profileColumns(rows)).toEqual([
      { name: "a", numeric: true, missing: true, present: 2 },
      { name: "b", numeric: false, missing: false, present: 3 },
      { name: "c", numeric: true, missing: true, present: 1 },
    ]);
  });

  it("merges files: numeric only if numeric in each, missing where a file lacks the column", () => {
    const one = profileColumns([{ a: 1, b: 2 }]);
    const two = profileColumns([{ a: "x" }]);
    expect(mergeProfiles([one, two])).toEqual([
      { name: "a", numeric: false, missing: false, present: 2 },
      { name: "b", numeric: true, missing: true, present: 1 },
    ]);
  });
});

describe("planStarterData", () => {
  const col = (name: string, numeric: boolean, missing = false, present = 3) => ({
    name,
    numeric,
    missing,
    present,
  });
  const base = { target: "y", task: "classification" as const, data: "d.csv" };

  it.each([
    ["numbers are standardized", [col("x", true)], [{ op: "standardize", column: "x" }]],
    ["words are one-hot encoded", [col("w", false)], [{ op: "onehot", column: "w" }]],
    [
      "numbers with gaps get the median first",
      [col("x", true, true)],
      [
        { op: "impute", column: "x", strategy: "median" },
        { op: "standardize", column: "x" },
      ],
    ],
    [
      "words with gaps get the most frequent first",
      [col("w", false, true)],
      [
        { op: "impute", column: "w", strategy: "most_frequent" },
        { op: "onehot", column: "w" },
      ],
    ],
  ])("%s", (_c, features, transforms) => {
    expect(planStarterData({ ...base, columns: [...features, col("y", false)] })).toEqual({
      ok: true,
      transforms,
      features: [],
    });
  });

  it("lists the features when an empty column must stay out", () => {
    const r = planStarterData({
      ...base,
      columns: [col("x", true), col("e", true, true, 0), col("y", false)],
    });
    expect(r).toEqual({ ok: true, transforms: [{ op: "standardize", column: "x" }], features: ["x"] });
  });

  it.each([
    ["the target is missing", { columns: [col("x", true)] }, /no column "y" in d\.csv \(its columns: "x"\)/],
    [
      "regression on words",
      { columns: [col("x", true), col("y", false)], task: "regression" as const },
      /--task regression: the target column "y"/,
    ],
    ["only the target", { columns: [col("y", false)] }, /no column besides the target/],
  ])("fails when %s", (_c, over, message) => {
    const r = planStarterData({ ...base, ...over });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.message).toMatch(message);
  });
});
