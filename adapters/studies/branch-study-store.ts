import type { BranchGitPort } from "../github/commit-to-branch.ts";
import { httpStatus } from "../github/http-status.ts";
import { ModelshipError } from "../../core/errors.ts";
import type { Study } from "../../core/sweep/study.ts";
import { DEFAULT_STUDIES_DIR, parseStudy, studyPaths, studyText } from "./study-store.ts";

/**
 * The branch holding the studies of workflow-matrix sweeps, at the same path as on a machine
 * (`.modelship/studies/NAME/study.json`). It outlives workflow runs (artifacts and caches do
 * not), stays off the pull request's branch (a push there would start training again, and a
 * fork's branch is not writable), and its history shows every plan and tell.
 */
export const STUDIES_BRANCH = "modelship-studies";

/** The Git database and contents calls the branch store makes. */
export type StudyBranchPort = BranchGitPort & {
  rest: {
    repos: {
      getContent(p: { owner: string; repo: string; path: string; ref?: string }): Promise<{ data: unknown }>;
    };
  };
};

type Where = { owner: string; repo: string; name: string };

/** Where a study lives on the branch. */
export function studyBranchPath(name: string): string {
  return studyPaths(DEFAULT_STUDIES_DIR, name).study;
}

/** The study stored on the branch (null when the branch or the study is not there yet), and the branch head read. */
export async function readStudyOnBranch(
  octokit: StudyBranchPort,
  w: Where,
): Promise<{ study: Study | null; head: string | undefined }> {
  const path = studyBranchPath(w.name);
  const head = await branchHead(octokit, w);
  if (head === undefined) return { study: null, head };
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner: w.owner, repo: w.repo, path, ref: head }));
  } catch (err) {
    if (httpStatus(err) === 404) return { study: null, head };
    throw err;
  }
  const file = data as { type?: string; encoding?: string; content?: string };
  if (file.type !== "file" || file.encoding !== "base64" || typeof file.content !== "string") {
    throw new ModelshipError({
      code: "study-file-invalid",
      message: `${path} on the ${STUDIES_BRANCH} branch is not a file`,
      hint: `Remove it from the ${STUDIES_BRANCH} branch, or use another study name.`,
    });
  }
  const text = Buffer.from(file.content, "base64").toString("utf8");
  return { study: parseStudy(text, `${STUDIES_BRANCH}:${path}`), head };
}

const ATTEMPTS = 4;

/**
 * Reads the study from the branch, lets `update` change it (or create it from null), and commits
 * it on top of the head it read; an update that changes nothing makes no commit. When another job
 * moved the branch meanwhile, GitHub refuses the update (not a fast forward) and the whole
 * read-update-commit starts again with the new study, so `update` must work from what it is given.
 */
export async function updateStudyOnBranch<T>(
  octokit: StudyBranchPort,
  w: Where & { message: string },
  update: (stored: Study | null) => { study: Study; result: T },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { study: stored, head } = await readStudyOnBranch(octokit, w);
    // Taken before `update`, which may change the stored study in place.
    const before = stored ? studyText(stored) : null;
    const { study, result } = update(stored);
    if (studyText(study) === before) return result;
    try {
      await commitStudy(octokit, { ...w, study, head });
      return result;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 422 && attempt < ATTEMPTS) continue;
      if (status === 403 || status === 404) {
        throw new ModelshipError({
          code: "studies-branch-forbidden",
          message: `cannot write the ${STUDIES_BRANCH} branch (HTTP ${status})`,
          hint: "Give the job `contents: write` permission: the study is stored on that branch between workflow runs.",
        });
      }
      throw err;
    }
  }
}

async function commitStudy(
  octokit: StudyBranchPort,
  o: Where & { message: string; study: Study; head: string | undefined },
): Promise<void> {
  const r = { owner: o.owner, repo: o.repo };
  const baseTree = o.head
    ? (await octokit.rest.git.getCommit({ ...r, commit_sha: o.head })).data.tree.sha
    : undefined;
  const { data: tree } = await octokit.rest.git.createTree({
    ...r,
    ...(baseTree ? { base_tree: baseTree } : {}),
    tree: [{ path: studyBranchPath(o.name), mode: "100644", type: "blob", content: studyText(o.study) }],
  });
  const { data: commit } = await octokit.rest.git.createCommit({
    ...r,
    message: o.message,
    tree: tree.sha,
    parents: o.head ? [o.head] : [],
  });
  // Not forced: when the branch moved since it was read, GitHub answers 422 and the caller retries.
  if (o.head) await octokit.rest.git.updateRef({ ...r, ref: `heads/${STUDIES_BRANCH}`, sha: commit.sha });
  else await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${STUDIES_BRANCH}`, sha: commit.sha });
}

async function branchHead(octokit: StudyBranchPort, w: Where): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.git.getRef({
      owner: w.owner,
      repo: w.repo,
      ref: `heads/${STUDIES_BRANCH}`,
    });
    return data.object.sha;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}
