import { createHash } from "node:crypto";
import type { ZipEntry } from "./write-zip.ts";

/** The empty git tree: every repository has it, so commits may point at it. */
export const EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

export type FakeUser = { login: string; id: number; type: "User" | "Bot" | "Organization" };

export type FakeRole = "read" | "triage" | "write" | "maintain" | "admin";

export type FakeCommit = {
  sha: string;
  message: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
};

/** One file of a tree made through the API; `content` is the blob's bytes read as UTF-8. */
export type FakeTreeEntry = { path: string; sha: string; content: string };

/** The sha git gives a blob: sha1 of `blob <size>\0` and the bytes. */
export function gitBlobSha(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export type FakeComment = {
  id: number;
  issueNumber: number;
  body: string;
  user: FakeUser;
  createdAt: string;
  updatedAt: string;
};

export type FakeReaction = { id: number; commentId: number; content: string; user: FakeUser };

export type FakeAnnotation = Record<string, unknown>;

export type FakeCheckRun = {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: FakeAnnotation[];
  app: FakeUser;
};

export type FakePull = {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  mergeCommitSha: string | null;
  title: string;
  user: FakeUser;
  head: { ref: string; sha: string; fork: boolean; repoFullName: string };
  base: { ref: string; sha: string };
  /** Paths the pull request changes (served by pulls/list-files, status "modified"). */
  files: string[];
  labels: string[];
  body?: string | null;
};

export type FakeIssue = {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | null;
  user: FakeUser;
  labels: string[];
  createdAt: string;
};

export type FakeReview = {
  id: number;
  user: FakeUser;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  commitId: string;
  submittedAt: string;
};

export type FakeDispatch = {
  workflowId: string;
  ref: string;
  inputs: Record<string, unknown>;
};

export type FakeWorkflowRun = {
  id: number;
  /** The workflow file name, e.g. `modelship-train.yml`. */
  workflowFile: string;
  name: string;
  displayTitle: string;
  event: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  headSha: string;
  headBranch: string;
  runAttempt: number;
  createdAt: string;
};

/** A run artifact: either explicit zip entries, or a directory zipped on download. */
export type FakeArtifact = {
  id: number;
  runId: number;
  name: string;
  files?: ZipEntry[];
  dir?: string;
  expired?: boolean;
  /** What GitHub reports as the zip's digest; by default the sha256 of the zip the fake serves. */
  digest?: string | null;
};

export type FakeAsset = {
  id: number;
  name: string;
  label: string | null;
  contentType: string;
  data: Buffer;
  uploader: FakeUser;
  createdAt: string;
};

export type FakeRelease = {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  createdAt: string;
  publishedAt: string | null;
  author: FakeUser;
  assets: FakeAsset[];
};

export type FakeDeployment = {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  description: string | null;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  creator: FakeUser;
  createdAt: string;
};

export type FakeDeploymentStatus = {
  id: number;
  deploymentId: number;
  state: string;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  creator: FakeUser;
  createdAt: string;
};

export type FakeRunner = {
  id: number;
  name: string;
  os: string;
  status: "online" | "offline";
  busy: boolean;
  labels: string[];
};

export type FakeRepo = {
  owner: string;
  name: string;
  id: number;
  private: boolean;
  defaultBranch: string;
  /** File contents by ref (branch name or commit sha), then by path. */
  files: Record<string, Record<string, string>>;
  pulls: Record<number, FakePull>;
  reviews: Record<number, FakeReview[]>;
  /** Repository role per login; a login absent here is not a collaborator (404). */
  permissions: Record<string, FakeRole>;
  /** Issues (not pull requests); numbers are shared with `pulls`. */
  issues: FakeIssue[];
  comments: FakeComment[];
  reactions: FakeReaction[];
  checkRuns: FakeCheckRun[];
  dispatches: FakeDispatch[];
  workflowRuns: FakeWorkflowRun[];
  artifacts: FakeArtifact[];
  /** Full ref name (`refs/heads/main`) to commit sha. */
  refs: Record<string, string>;
  commits: Record<string, FakeCommit>;
  /** Trees created through the API: sha → entries (path, the blob's sha, and its text). */
  trees: Record<string, FakeTreeEntry[]>;
  /** Blobs created through the API (or written by a tree's `content`): git blob sha → bytes. */
  blobs: Record<string, Buffer>;
  /**
   * When set, the token may not write the Git database (a workflow without `contents: write`, an
   * App installation without Contents write): blob, tree, commit and ref writes answer 403.
   */
  gitReadOnly?: boolean;
  releases: FakeRelease[];
  /** Commit statuses by sha (the legacy Statuses API), newest last. */
  statuses: Record<string, Array<{ context: string; state: "error" | "failure" | "pending" | "success" }>>;
  deployments: FakeDeployment[];
  deploymentStatuses: FakeDeploymentStatus[];
  runners: FakeRunner[];
  /** Sigstore bundles by subject digest (`sha256:<hex>`), as the attestations API returns them. */
  attestations: Record<string, unknown[]>;
};

export type FakeHooks = {
  /**
   * Called for each valid request before it is answered, e.g. to simulate another client acting
   * in between two requests of the code under test.
   */
  onRequest?: (call: { operationId: string; params: Record<string, string>; body: unknown }) => void;
  /** Called after a workflow dispatch is recorded, e.g. to create the run it would start. */
  onWorkflowDispatch?: (repo: FakeRepo, dispatch: FakeDispatch) => void;
};

export type FakeState = {
  repos: Record<string, FakeRepo>;
  /** Organisation-level self-hosted runners; an org absent here answers 403 (no access). */
  orgRunners: Record<string, FakeRunner[]>;
  /** Who a token acts as. Installation tokens minted by the fake act as `appBot`. */
  tokens: Record<string, FakeUser>;
  /** The actor for any other token, e.g. an Action's GITHUB_TOKEN. */
  defaultActor: FakeUser;
  appBot: FakeUser;
  hooks: FakeHooks;
  /** Next id handed out for anything the fake creates. */
  nextId: number;
  /** Clock for timestamps the fake writes. */
  now: () => Date;
};

export function createFakeState(): FakeState {
  return {
    repos: {},
    orgRunners: {},
    tokens: {},
    defaultActor: { login: "github-actions[bot]", id: 41898282, type: "Bot" },
    appBot: { login: "modelship[bot]", id: 900001, type: "Bot" },
    hooks: {},
    nextId: 1000,
    now: () => new Date(),
  };
}

export function nextId(state: FakeState): number {
  state.nextId += 1;
  return state.nextId;
}

/** A deterministic 40-hex commit id for seeded commits. */
export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

/** Returns the repository, creating it (default branch with one commit) when absent. */
export function ensureRepo(
  state: FakeState,
  owner: string,
  name: string,
  init: Partial<Pick<FakeRepo, "private" | "defaultBranch">> = {},
): FakeRepo {
  const key = `${owner}/${name}`.toLowerCase();
  const existing = state.repos[key];
  if (existing !== undefined) return existing;
  const defaultBranch = init.defaultBranch ?? "main";
  const root: FakeCommit = {
    sha: fakeSha(`${key}:root`),
    message: "initial commit",
    tree: EMPTY_TREE_SHA,
    parents: [],
    author: { name: "octocat", email: "octocat@github.com", date: "2026-01-01T00:00:00Z" },
  };
  const repo: FakeRepo = {
    owner,
    name,
    id: nextId(state),
    private: init.private ?? false,
    defaultBranch,
    files: {},
    pulls: {},
    reviews: {},
    permissions: {},
    issues: [],
    comments: [],
    reactions: [],
    checkRuns: [],
    dispatches: [],
    workflowRuns: [],
    artifacts: [],
    refs: { [`refs/heads/${defaultBranch}`]: root.sha },
    commits: { [root.sha]: root },
    trees: {},
    blobs: {},
    releases: [],
    statuses: {},
    deployments: [],
    deploymentStatuses: [],
    runners: [],
    attestations: {},
  };
  state.repos[key] = repo;
  return repo;
}

/** The next issue or pull request number of a repository. */
export function nextIssueNumber(repo: FakeRepo): number {
  const used = [...Object.keys(repo.pulls).map(Number), ...repo.issues.map((i) => i.number)];
  return Math.max(0, ...used) + 1;
}

export function findRepo(state: FakeState, owner: string, name: string): FakeRepo | undefined {
  return state.repos[`${owner}/${name}`.toLowerCase()];
}

/** Adds a commit (for PR heads, merge commits, release targets) and returns its sha. */
export function addCommit(
  repo: FakeRepo,
  opts: { message?: string; parents?: string[]; sha?: string; branch?: string } = {},
): string {
  const parents = opts.parents ?? [];
  const message = opts.message ?? "commit";
  const sha =
    opts.sha ??
    fakeSha(`${repo.owner}/${repo.name}:${message}:${parents.join(",")}:${Object.keys(repo.commits).length}`);
  repo.commits[sha] = {
    sha,
    message,
    tree: EMPTY_TREE_SHA,
    parents,
    author: { name: "octocat", email: "octocat@github.com", date: "2026-01-01T00:00:00Z" },
  };
  if (opts.branch !== undefined) repo.refs[`refs/heads/${opts.branch}`] = sha;
  return sha;
}

/** Adds an open pull request whose head commit exists; `fork` puts the head in another repository. */
export function addPull(
  state: FakeState,
  repo: FakeRepo,
  opts: {
    number: number;
    headRef?: string;
    headSha?: string;
    fork?: boolean;
    author?: string;
    merged?: boolean;
    title?: string;
    files?: string[];
    labels?: string[];
  },
): FakePull {
  const headRef = opts.headRef ?? `feature-${opts.number}`;
  const headSha =
    opts.headSha ??
    addCommit(repo, {
      message: `head of #${opts.number}`,
      parents: [repo.refs[`refs/heads/${repo.defaultBranch}`] ?? ""].filter((p) => p !== ""),
    });
  if (repo.commits[headSha] === undefined)
    addCommit(repo, { sha: headSha, message: `head of #${opts.number}` });
  if (opts.fork !== true) repo.refs[`refs/heads/${headRef}`] = headSha;
  const merged = opts.merged === true;
  const pull: FakePull = {
    number: opts.number,
    state: merged ? "closed" : "open",
    merged,
    mergeCommitSha: merged ? addCommit(repo, { message: `Merge #${opts.number}`, parents: [headSha] }) : null,
    title: opts.title ?? `Pull request ${opts.number}`,
    user: { login: opts.author ?? "octocat", id: 1, type: "User" },
    head: {
      ref: headRef,
      sha: headSha,
      fork: opts.fork === true,
      repoFullName: opts.fork === true ? `fork-owner/${repo.name}` : `${repo.owner}/${repo.name}`,
    },
    base: { ref: repo.defaultBranch, sha: repo.refs[`refs/heads/${repo.defaultBranch}`] ?? "" },
    files: opts.files ?? [],
    labels: opts.labels ?? [],
  };
  repo.pulls[opts.number] = pull;
  void state;
  return pull;
}
