import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TRAIN_CHECK_NAME } from "../github/check-runs.ts";
import { parseCheckRunRecord } from "../github/check-run-record.ts";
import { DEFAULT_RUNS_DIR, PULLED_DIR } from "./index-runs.ts";

/** The REST calls reading run records from pull requests' check runs needs. */
export type CheckRecordsPort = {
  rest: {
    pulls: {
      list(p: {
        owner: string;
        repo: string;
        state: "all";
        sort: "updated";
        direction: "desc";
        per_page: number;
      }): Promise<{ data: Array<{ number: number; head: { sha: string } }> }>;
      listCommits(p: {
        owner: string;
        repo: string;
        pull_number: number;
        per_page: number;
      }): Promise<{ data: Array<{ sha: string }> }>;
    };
    checks: {
      listForRef(p: {
        owner: string;
        repo: string;
        ref: string;
        check_name: string;
        filter: "all";
        per_page: number;
      }): Promise<{ data: { check_runs: Array<{ output: { text?: string | null } }> } }>;
    };
  };
};

export type CheckRecordsPull = {
  repository: string;
  pullRequests: number[];
  pulled: string[];
  unchanged: string[];
};

/**
 * Copies the run records the App keeps on `modelship/train` check runs into
 * `<runsDir>/pulled/<run id>/`: of every commit of the given pull requests, or of the `limit` most
 * recently updated ones. Only record files are written; records already there stay unless changed.
 */
export async function pullCheckRunRecords(
  octokit: CheckRecordsPort,
  opts: {
    owner: string;
    repo: string;
    workspace: string;
    runsDir?: string;
    pulls?: number[];
    limit?: number;
  },
): Promise<CheckRecordsPull> {
  const r = { owner: opts.owner, repo: opts.repo };
  const pulls =
    opts.pulls ??
    (
      await octokit.rest.pulls.list({
        ...r,
        state: "all",
        sort: "updated",
        direction: "desc",
        per_page: Math.min(100, opts.limit ?? 30),
      })
    ).data.map((p) => p.number);
  const result: CheckRecordsPull = {
    repository: `${r.owner}/${r.repo}`,
    pullRequests: pulls,
    pulled: [],
    unchanged: [],
  };
  const root = join(opts.workspace, opts.runsDir ?? DEFAULT_RUNS_DIR, PULLED_DIR);
  const seen = new Set<string>();
  for (const pull of pulls) {
    const { data: commits } = await octokit.rest.pulls.listCommits({
      ...r,
      pull_number: pull,
      per_page: 100,
    });
    for (const { sha } of commits) {
      const { data } = await octokit.rest.checks.listForRef({
        ...r,
        ref: sha,
        check_name: TRAIN_CHECK_NAME,
        filter: "all",
        per_page: 100,
      });
      for (const check of data.check_runs) {
        const record = parseCheckRunRecord(check.output.text);
        if (!record || seen.has(record.runId) || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(record.runId))
          continue;
        seen.add(record.runId);
        const changed = await writeRecord(join(root, record.runId), record.files);
        (changed ? result.pulled : result.unchanged).push(record.runId);
      }
    }
  }
  return result;
}

async function writeRecord(dir: string, files: Record<string, string | undefined>): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  let changed = false;
  for (const [name, text] of Object.entries(files)) {
    if (text === undefined) continue;
    const before = await readFile(join(dir, name), "utf8").catch(() => null);
    if (before === text) continue;
    await writeFile(join(dir, name), text);
    changed = true;
  }
  return changed;
}
