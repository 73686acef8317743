import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  readStudyOnBranch,
  STUDIES_BRANCH,
  updateStudyOnBranch,
  type StudyBranchPort,
} from "../../../adapters/studies/branch-study-store.ts";
import { ModelshipError } from "../../../core/errors.ts";
import type { Study } from "../../../core/sweep/study.ts";
import { ensureRepo, startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";
import { CLIENTS } from "../github/github-clients.ts";
import { makeStudy, trial } from "../../core/sweep/study-fixtures.ts";

let fake: FakeGitHub;
let n = 0;
beforeAll(async () => {
  fake = await startFakeGitHub();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => expect(fake.invalid).toEqual([]));

/** A fresh repository per test, so branch state never leaks between them. */
function freshRepo(): { owner: string; repo: string } {
  const repo = `studies-${++n}`;
  ensureRepo(fake.state, "Codertocat", repo);
  return { owner: "Codertocat", repo };
}

const addTrial = (number: number) => (stored: Study | null) => {
  const study = stored ?? makeStudy({ name: "lr" });
  study.trials.push(trial(number, "running", []));
  return { study, result: study.trials.length };
};

describe.each(CLIENTS)("study storage on the %s client", (_name, client) => {
  it("reads nothing before the branch exists, creates it, then reads back what it stored", async () => {
    const octokit = client(fake);
    const r = { ...freshRepo(), name: "lr" };
    expect(await readStudyOnBranch(octokit, r)).toEqual({ study: null, head: undefined });
    expect(await updateStudyOnBranch(octokit, { ...r, message: "plan" }, addTrial(0))).toBe(1);
    expect(await updateStudyOnBranch(octokit, { ...r, message: "plan" }, addTrial(1))).toBe(2);
    const { study, head } = await readStudyOnBranch(octokit, r);
    expect(study?.trials.map((t) => t.number)).toEqual([0, 1]);
    const repo = fake.repo(r.owner, r.repo);
    expect(repo.refs[`refs/heads/${STUDIES_BRANCH}`]).toBe(head);
    // Each update is one commit on top of the last.
    expect(repo.commits[head!]?.parents).toHaveLength(1);
  });

  it("keeps two studies side by side on the branch, and commits nothing when a study is unchanged", async () => {
    const octokit = client(fake);
    const where = freshRepo();
    const add = (name: string, number: number) => (stored: Study | null) => {
      const study = stored ?? makeStudy({ name });
      study.trials.push(trial(number, "running", []));
      return { study, result: undefined };
    };
    await updateStudyOnBranch(octokit, { ...where, name: "a", message: "a" }, add("a", 0));
    await updateStudyOnBranch(octokit, { ...where, name: "b", message: "b" }, add("b", 0));
    await updateStudyOnBranch(octokit, { ...where, name: "a", message: "a" }, add("a", 1));
    const a = await readStudyOnBranch(octokit, { ...where, name: "a" });
    const b = await readStudyOnBranch(octokit, { ...where, name: "b" });
    expect(a.study?.trials.map((t) => t.number)).toEqual([0, 1]);
    expect(b.study?.trials.map((t) => t.number)).toEqual([0]);
    const repo = fake.repo(where.owner, where.repo);
    const commits = Object.keys(repo.commits).length;
    const unchanged = await updateStudyOnBranch(
      octokit,
      { ...where, name: "b", message: "nothing" },
      (stored) => ({ study: stored!, result: "same" }),
    );
    expect(unchanged).toBe("same");
    expect(Object.keys(repo.commits)).toHaveLength(commits);
    expect(repo.refs[`refs/heads/${STUDIES_BRANCH}`]).toBe(b.head);
  });

  it("starts again from the new study when another job moved the branch in between", async () => {
    const base = client(fake);
    const r = { ...freshRepo(), name: "lr" };
    await updateStudyOnBranch(base, { ...r, message: "plan" }, addTrial(0));
    let raced = false;
    // Another job's update lands after this one read the study and before it commits.
    const racing = {
      rest: {
        ...base.rest,
        git: {
          ...base.rest.git,
          createTree: async (p: Parameters<StudyBranchPort["rest"]["git"]["createTree"]>[0]) => {
            if (!raced) {
              raced = true;
              await updateStudyOnBranch(base, { ...r, message: "other" }, addTrial(1));
            }
            return base.rest.git.createTree(p);
          },
        },
      },
    } as unknown as StudyBranchPort;
    const seen: number[] = [];
    await updateStudyOnBranch(racing, { ...r, message: "mine" }, (stored) => {
      seen.push(stored?.trials.length ?? 0);
      return addTrial(stored!.trials.length)(stored);
    });
    // First attempt saw 1 trial and was refused (not a fast forward); the retry saw 2.
    expect(seen).toEqual([1, 2]);
    expect(fake.calls.some((c) => c.operationId === "git/update-ref" && c.status === 422)).toBe(true);
    const { study } = await readStudyOnBranch(base, r);
    expect(study?.trials.map((t) => t.number)).toEqual([0, 1, 2]);
  });
});

it("a damaged study file on the branch is reported, not overwritten", async () => {
  const octokit = CLIENTS[1][1](fake);
  const r = { ...freshRepo(), name: "lr" };
  await updateStudyOnBranch(octokit, { ...r, message: "plan" }, addTrial(0));
  const repo = fake.repo(r.owner, r.repo);
  const head = repo.refs[`refs/heads/${STUDIES_BRANCH}`]!;
  const entry = repo.trees[repo.commits[head]!.tree]!.find((e) => e.path.endsWith("study.json"))!;
  entry.content = '{"schemaVersion": 1}';
  const err = await updateStudyOnBranch(octokit, { ...r, message: "plan" }, addTrial(1)).catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelshipError);
  expect((err as ModelshipError).code).toBe("study-file-invalid");
  expect((err as ModelshipError).message).toContain(`${STUDIES_BRANCH}:.modelship/studies/lr/study.json`);
  expect(repo.refs[`refs/heads/${STUDIES_BRANCH}`]).toBe(head);
});
