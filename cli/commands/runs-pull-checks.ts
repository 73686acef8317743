import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { pullCheckRunRecords, type CheckRecordsPull } from "../../adapters/runs/pull-check-run-records.ts";
import { ModelshipError } from "../../core/errors.ts";

const run = promisify(execFile);

/**
 * `runs pull --source checks`: reads the run records kept on pull requests' `modelship/train`
 * check runs through the GitHub API (GITHUB_TOKEN or GH_TOKEN; GITHUB_API_URL for GitHub Enterprise).
 */
export async function pullFromChecks(opts: {
  workspace: string;
  runsDir: string | undefined;
  remote: string;
  githubRepo: string | undefined;
  pulls: string | undefined;
  limit: string | undefined;
}): Promise<CheckRecordsPull> {
  const slug =
    opts.githubRepo ?? process.env["GITHUB_REPOSITORY"] ?? (await remoteSlug(opts.workspace, opts.remote));
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(slug ?? "");
  if (!m) {
    throw new ModelshipError({
      code: "option-invalid",
      message: slug
        ? `--github-repo must be OWNER/REPO (got ${JSON.stringify(slug)})`
        : `cannot tell which GitHub repository to read: no --github-repo, no GITHUB_REPOSITORY, and remote '${opts.remote}' is not a GitHub URL`,
      hint: "Pass --github-repo OWNER/REPO.",
    });
  }
  const token = process.env["GITHUB_TOKEN"] || process.env["GH_TOKEN"];
  if (!token) {
    throw new ModelshipError({
      code: "option-invalid",
      message: "GITHUB_TOKEN (or GH_TOKEN) is not set",
      hint: "Reading check runs needs a token that can read the repository (Checks and Pull requests: read).",
    });
  }
  const octokit = new Octokit({
    auth: token,
    baseUrl: process.env["GITHUB_API_URL"] ?? "https://api.github.com",
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  try {
    return await pullCheckRunRecords(octokit, {
      owner: m[1]!,
      repo: m[2]!,
      workspace: opts.workspace,
      ...(opts.runsDir !== undefined ? { runsDir: opts.runsDir } : {}),
      ...(opts.pulls !== undefined ? { pulls: parsePulls(opts.pulls) } : {}),
      ...(opts.limit !== undefined ? { limit: parseCount(opts.limit) } : {}),
    });
  } catch (err) {
    if (err instanceof ModelshipError) throw err;
    const status = (err as { status?: number }).status;
    throw new ModelshipError({
      code: "runs-pull-failed",
      message: `cannot read check runs of ${m[1]}/${m[2]}${status ? ` (HTTP ${status})` : ""}: ${(err as Error).message}`,
      hint: "Check the token's access to the repository, and GITHUB_API_URL for GitHub Enterprise.",
    });
  }
}

/** OWNER/REPO of a github.com-style remote URL (https or ssh), if it is one. */
async function remoteSlug(workspace: string, remote: string): Promise<string | undefined> {
  const url = await run("git", ["remote", "get-url", remote], { cwd: workspace }).then(
    (r) => r.stdout.trim(),
    () => "",
  );
  return /[/:]([A-Za-z0-9-]+\/[A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(url)?.[1];
}

function parsePulls(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^[1-9]\d*$/.test(p))) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--pr must be pull request numbers separated by commas (got ${JSON.stringify(text)})`,
      hint: "For example --pr 12 or --pr 12,15.",
    });
  }
  return parts.map(Number);
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 100) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--limit must be a whole number from 1 to 100 (got ${JSON.stringify(text)})`,
      hint: "It is how many of the most recently updated pull requests are read.",
    });
  }
  return n;
}
