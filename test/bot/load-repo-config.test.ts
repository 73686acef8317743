import { describe, expect, it } from "vitest";
import { loadRepoConfig } from "../../bot/load-repo-config.ts";

function source(text: string | null, merged: Record<string, unknown> | null = null) {
  const reads: string[] = [];
  return {
    reads,
    readDefaultBranchFile: async (path: string) => {
      reads.push(`file:${path}`);
      return text;
    },
    loadMerged: async (path: string) => {
      reads.push(`merged:${path}`);
      return merged;
    },
  };
}

describe("loadRepoConfig", () => {
  it("a missing file means the repository is not configured", async () => {
    expect(await loadRepoConfig(source(null))).toEqual({ ok: false, reason: "config-missing" });
  });

  it("an empty file is every default", async () => {
    const r = await loadRepoConfig(source(""));
    expect(r.ok && r.config.github.permissions.deploy).toBe("maintain");
  });

  it("problems carry file, line and column", async () => {
    const r = await loadRepoConfig(source("github:\n  permissions:\n    deploy: everyone\n"));
    expect(r).toMatchObject({
      ok: false,
      reason: "config-invalid",
      problems: [{ code: "config-invalid", where: { file: ".github/modelship.yml", line: 3, column: 13 } }],
    });
  });

  it("a file with _extends is merged by Probot's loader, then validated", async () => {
    const s = source("_extends: .github\nmodel:\n  name: iris\n", {
      _extends: ".github",
      model: { name: "iris" },
      github: { allowForks: true },
    });
    const r = await loadRepoConfig(s);
    expect(s.reads).toEqual(["file:.github/modelship.yml", "merged:.github/modelship.yml"]);
    expect(r.ok && r.config.github.allowForks).toBe(true);
    const bad = await loadRepoConfig(source("_extends: .github\n", { github: { allowForks: "yes" } }));
    expect(bad).toMatchObject({
      ok: false,
      problems: [{ where: { file: ".github/modelship.yml (merged with its _extends base)" } }],
    });
  });
});
