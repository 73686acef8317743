import type { Config } from "../core/config/schema.ts";
import { formatProblem, type Problem } from "../core/errors.ts";
import { escapeMarkdown } from "../core/report/escape-markdown.ts";
import type { BotGitHub } from "./github-port.ts";
import { CONFIG_PATH, loadRepoConfig, type RepoConfigResult } from "./load-repo-config.ts";

/** Loads the repository's config from the default branch through the App's GitHub port. */
export function repoConfig(gh: BotGitHub): Promise<RepoConfigResult> {
  return loadRepoConfig({
    readDefaultBranchFile: (path) => gh.readDefaultBranchFile(path),
    loadMerged: (path) => gh.loadMergedConfig(path),
  });
}

/** Markdown that explains why the config could not be used, each problem as file:line:column. */
export function renderConfigProblems(result: Exclude<RepoConfigResult, { ok: true }>): string {
  if (result.reason === "config-missing") {
    return `Modelship is not configured here: \`${CONFIG_PATH}\` does not exist on the default branch. Add it (an empty file uses every default) and try again.`;
  }
  return [
    `Modelship cannot use \`${CONFIG_PATH}\` from the default branch:`,
    "",
    ...result.problems.slice(0, 20).map((p) => `- ${escapeMarkdown(formatProblem(p), { maxLength: 500 })}`),
    "",
    "Fix the file on the default branch (`modelship validate` checks it locally).",
  ].join("\n");
}

/** The first located problem, for a check-run annotation. */
export function firstLocatedProblem(problems: readonly Problem[]): { line: number; message: string } {
  const p = problems.find((x) => x.where?.line !== undefined) ?? problems[0];
  return { line: p?.where?.line ?? 1, message: p ? formatProblem(p) : "invalid config" };
}

export type { Config };
