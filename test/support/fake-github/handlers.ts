import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import {
  fakeSha,
  gitBlobSha,
  findRepo,
  nextId,
  nextIssueNumber,
  EMPTY_TREE_SHA,
  type FakeAsset,
  type FakeCheckRun,
  type FakeComment,
  type FakeDeployment,
  type FakeDeploymentStatus,
  type FakeIssue,
  type FakePull,
  type FakeRelease,
  type FakeRepo,
  type FakeRunner,
  type FakeState,
  type FakeUser,
  type FakeWorkflowRun,
} from "./fake-state.ts";
import { writeZip, type ZipEntry } from "./write-zip.ts";

export type HandlerContext = {
  operationId: string;
  method: string;
  /** Path relative to the API root, as received (still URL-encoded). */
  path?: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  body: unknown;
  rawBody: Buffer;
  headers: Record<string, string>;
  /** Where this request's API root is: `origin` or `origin/api/v3`. */
  apiBase: string;
  uploadBase: string;
  origin: string;
  state: FakeState;
  actor: FakeUser;
  example: (operationId: string) => Record<string, unknown>;
};

export type HandlerResult = {
  status: number;
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
};

type Handler = (ctx: HandlerContext) => HandlerResult;

const notFound = (): HandlerResult => ({
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" },
});

const unprocessable = (message: string, errors: unknown[] = []): HandlerResult => ({
  status: 422,
  body: { message, errors, documentation_url: "https://docs.github.com/rest", status: "422" },
});

/** What GitHub answers a token without write access to the repository's contents. */
function forbiddenWrite(): HandlerResult {
  return { status: 403, body: { message: "Resource not accessible by integration", status: "403" } };
}

function iso(state: FakeState): string {
  return state
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z");
}

function bodyOf(ctx: HandlerContext): Record<string, unknown> {
  return (ctx.body ?? {}) as Record<string, unknown>;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function queryString(ctx: HandlerContext, name: string): string | undefined {
  const v = ctx.query[name];
  return Array.isArray(v) ? v[0] : v;
}

function withRepo(fn: (ctx: HandlerContext, repo: FakeRepo) => HandlerResult): Handler {
  return (ctx) => {
    const repo = findRepo(ctx.state, ctx.params.owner ?? "", ctx.params.repo ?? "");
    return repo === undefined ? notFound() : fn(ctx, repo);
  };
}

function userJson(ctx: HandlerContext, user: FakeUser): Record<string, unknown> {
  const base = (ctx.example("users/get-by-username") ?? {}) as Record<string, unknown>;
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: base.avatar_url ?? "https://github.com/images/error/octocat_happy.gif",
    gravatar_id: "",
    url: `${ctx.apiBase}/users/${encodeURIComponent(user.login)}`,
    html_url: `https://github.com/${user.login}`,
    followers_url: "",
    following_url: "",
    gists_url: "",
    starred_url: "",
    subscriptions_url: "",
    organizations_url: "",
    repos_url: "",
    events_url: "",
    received_events_url: "",
    type: user.type,
    site_admin: false,
  };
}

/** Serves one page of `items` with GitHub's `per_page`/`page` parameters and `Link` header. */
function paginate<T>(ctx: HandlerContext, items: readonly T[], wrap?: (page: T[]) => unknown): HandlerResult {
  const perPage = Math.min(Number(queryString(ctx, "per_page") ?? 30) || 30, 100);
  const page = Math.max(Number(queryString(ctx, "page") ?? 1) || 1, 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number): string => {
    const url = new URL(`${ctx.apiBase}${ctx.path ?? ""}`);
    for (const [k, v] of Object.entries(ctx.query)) {
      if (k === "page") continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
    }
    url.searchParams.set("page", String(n));
    return `<${url.toString()}>`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
  if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) rels.push(`${link(1)}; rel="first"`);
  const headers: Record<string, string> = rels.length > 0 ? { link: rels.join(", ") } : {};
  return { status: 200, body: wrap === undefined ? slice : wrap(slice), headers };
}

function repoJson(ctx: HandlerContext, repo: FakeRepo): Record<string, unknown> {
  const base = ctx.example("repos/get");
  return {
    ...base,
    id: repo.id,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    default_branch: repo.defaultBranch,
    owner: userJson(ctx, { login: repo.owner, id: 1, type: "Organization" }),
    url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    fork: false,
  };
}

function resolveSha(repo: FakeRepo, ref: string): string | undefined {
  if (repo.commits[ref] !== undefined) return ref;
  for (const candidate of [ref, `refs/heads/${ref}`, `refs/tags/${ref}`]) {
    const sha = repo.refs[candidate];
    if (sha !== undefined) return sha;
  }
  return undefined;
}

function isAncestor(repo: FakeRepo, ancestor: string, descendant: string): boolean {
  const seen = new Set<string>();
  const queue = [descendant];
  while (queue.length > 0) {
    const sha = queue.shift() as string;
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(repo.commits[sha]?.parents ?? []));
  }
  return false;
}

// ---- comments -------------------------------------------------------------------------------

function commentJson(ctx: HandlerContext, repo: FakeRepo, c: FakeComment): Record<string, unknown> {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/issues/comments/${c.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/issues/${c.issueNumber}`,
    body: c.body,
    user: userJson(ctx, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: c.user.type === "Bot" ? "NONE" : "MEMBER",
  };
}

// ---- pull requests and issues ----------------------------------------------------------------

function pullJson(ctx: HandlerContext, repo: FakeRepo, pull: FakePull): Record<string, unknown> {
  const base = ctx.example("pulls/get");
  const headRepo = pull.head.fork
    ? { ...repoJson(ctx, repo), full_name: pull.head.repoFullName, fork: true, name: repo.name }
    : repoJson(ctx, repo);
  return {
    ...base,
    number: pull.number,
    state: pull.state,
    title: pull.title,
    user: userJson(ctx, pull.user),
    merged: pull.merged,
    labels: pull.labels.map((name, i) => ({
      id: i + 1,
      node_id: `L_${i + 1}`,
      url: "",
      name,
      description: null,
      color: "ededed",
      default: false,
    })),
    merge_commit_sha: pull.mergeCommitSha,
    merged_at: pull.merged ? "2026-01-02T00:00:00Z" : null,
    head: {
      label: `${pull.head.repoFullName.split("/")[0]}:${pull.head.ref}`,
      ref: pull.head.ref,
      sha: pull.head.sha,
      user: userJson(ctx, pull.user),
      repo: headRepo,
    },
    base: {
      label: `${repo.owner}:${pull.base.ref}`,
      ref: pull.base.ref,
      sha: pull.base.sha,
      user: userJson(ctx, { login: repo.owner, id: 1, type: "Organization" }),
      repo: repoJson(ctx, repo),
    },
    body: pull.body ?? null,
    html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}`,
  };
}

function issueJson(ctx: HandlerContext, repo: FakeRepo, issue: FakeIssue): Record<string, unknown> {
  const base = ctx.example("issues/get");
  return {
    ...base,
    id: issue.number + 700_000,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    state_reason: issue.stateReason,
    user: userJson(ctx, issue.user),
    labels: issue.labels.map((name, i) => ({ id: i + 1, node_id: `L_${i + 1}`, name, color: "ededed" })),
    assignee: null,
    assignees: [],
    milestone: null,
    pull_request: undefined,
    comments: repo.comments.filter((c) => c.issueNumber === issue.number).length,
    url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/issues/${issue.number}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/issues/${issue.number}`,
    created_at: issue.createdAt,
    updated_at: issue.createdAt,
    closed_at: issue.state === "closed" ? issue.createdAt : null,
  };
}

// ---- check runs -----------------------------------------------------------------------------

function checkRunJson(ctx: HandlerContext, repo: FakeRepo, run: FakeCheckRun): Record<string, unknown> {
  const base = ctx.example("checks/get");
  return {
    ...base,
    id: run.id,
    node_id: `CR_${run.id}`,
    name: run.name,
    head_sha: run.headSha,
    external_id: run.externalId,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/check-runs/${run.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/runs/${run.id}`,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.annotations.length,
      annotations_url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/check-runs/${run.id}/annotations`,
    },
    pull_requests: [],
  };
}

function applyCheckRunBody(ctx: HandlerContext, run: FakeCheckRun, b: Record<string, unknown>): void {
  if (str(b.name) !== undefined) run.name = b.name as string;
  if (str(b.external_id) !== undefined) run.externalId = b.external_id as string;
  if (str(b.details_url) !== undefined) run.detailsUrl = b.details_url as string;
  if (str(b.started_at) !== undefined) run.startedAt = b.started_at as string;
  if (str(b.status) !== undefined) run.status = b.status as string;
  if (str(b.conclusion) !== undefined) {
    run.conclusion = b.conclusion as string;
    run.status = "completed";
  }
  if (str(b.completed_at) !== undefined) {
    run.completedAt = b.completed_at as string;
    run.status = "completed";
  }
  if (run.status === "completed" && run.completedAt === null) run.completedAt = iso(ctx.state);
  const output = b.output as Record<string, unknown> | undefined;
  if (output !== undefined) {
    if (str(output.title) !== undefined) run.output.title = output.title as string;
    if (str(output.summary) !== undefined) run.output.summary = output.summary as string;
    if (str(output.text) !== undefined) run.output.text = output.text as string;
    // GitHub appends annotations on every update.
    if (Array.isArray(output.annotations))
      run.annotations.push(...(output.annotations as Record<string, unknown>[]));
  }
}

// ---- workflow runs and artifacts -------------------------------------------------------------

function workflowRunJson(ctx: HandlerContext, repo: FakeRepo, run: FakeWorkflowRun): Record<string, unknown> {
  const base = ctx.example("actions/get-workflow-run");
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    ...base,
    id: run.id,
    name: run.name,
    display_title: run.displayTitle,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    head_sha: run.headSha,
    head_branch: run.headBranch,
    path: `.github/workflows/${run.workflowFile}`,
    run_attempt: run.runAttempt,
    created_at: run.createdAt,
    updated_at: run.createdAt,
    url: `${api}/actions/runs/${run.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
    artifacts_url: `${api}/actions/runs/${run.id}/artifacts`,
    repository: repoJson(ctx, repo),
    head_repository: repoJson(ctx, repo),
  };
}

function artifactEntries(artifact: { files?: ZipEntry[]; dir?: string }): ZipEntry[] {
  if (artifact.files !== undefined) return artifact.files;
  if (artifact.dir === undefined) return [];
  const entries: ZipEntry[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else
        entries.push({
          name: relative(artifact.dir as string, full)
            .split(sep)
            .join("/"),
          data: readFileSync(full),
        });
    }
  };
  walk(artifact.dir);
  return entries;
}

function artifactJson(
  ctx: HandlerContext,
  repo: FakeRepo,
  a: FakeRepo["artifacts"][number],
): Record<string, unknown> {
  const size = artifactEntries(a).reduce(
    (n, e) => n + (typeof e.data === "string" ? Buffer.byteLength(e.data) : e.data.length),
    0,
  );
  const digest =
    a.digest !== undefined
      ? a.digest
      : `sha256:${createHash("sha256")
          .update(writeZip(artifactEntries(a)))
          .digest("hex")}`;
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    id: a.id,
    node_id: `MDg6QXJ0aWZhY3Q${a.id}`,
    name: a.name,
    size_in_bytes: size,
    url: `${api}/actions/artifacts/${a.id}`,
    archive_download_url: `${api}/actions/artifacts/${a.id}/zip`,
    expired: a.expired === true,
    digest,
    created_at: "2026-01-01T00:00:00Z",
    expires_at: "2026-04-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    workflow_run: {
      id: a.runId,
      repository_id: repo.id,
      head_repository_id: repo.id,
      head_branch: repo.defaultBranch,
      head_sha: repo.refs[`refs/heads/${repo.defaultBranch}`] ?? "",
    },
  };
}

// ---- releases ---------------------------------------------------------------------------------

function assetJson(ctx: HandlerContext, repo: FakeRepo, asset: FakeAsset): Record<string, unknown> {
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    url: `${api}/releases/assets/${asset.id}`,
    browser_download_url: `https://github.com/${repo.owner}/${repo.name}/releases/download/x/${encodeURIComponent(asset.name)}`,
    id: asset.id,
    node_id: `RA_${asset.id}`,
    name: asset.name,
    label: asset.label,
    state: "uploaded",
    content_type: asset.contentType,
    size: asset.data.length,
    digest: null,
    download_count: 0,
    created_at: asset.createdAt,
    updated_at: asset.createdAt,
    uploader: userJson(ctx, asset.uploader),
  };
}

function releaseJson(ctx: HandlerContext, repo: FakeRepo, r: FakeRelease): Record<string, unknown> {
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    url: `${api}/releases/${r.id}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/releases/tag/${r.tagName}`,
    assets_url: `${api}/releases/${r.id}/assets`,
    upload_url: `${ctx.uploadBase}/repos/${repo.owner}/${repo.name}/releases/${r.id}/assets{?name,label}`,
    tarball_url: null,
    zipball_url: null,
    id: r.id,
    node_id: `RE_${r.id}`,
    tag_name: r.tagName,
    target_commitish: r.targetCommitish,
    name: r.name,
    body: r.body,
    draft: r.draft,
    prerelease: r.prerelease,
    immutable: false,
    created_at: r.createdAt,
    published_at: r.publishedAt,
    updated_at: r.createdAt,
    author: userJson(ctx, r.author),
    assets: r.assets.map((a) => assetJson(ctx, repo, a)),
  };
}

function findAsset(repo: FakeRepo, id: number): FakeAsset | undefined {
  for (const r of repo.releases) {
    const a = r.assets.find((x) => x.id === id);
    if (a !== undefined) return a;
  }
  return undefined;
}

// ---- deployments ------------------------------------------------------------------------------

function deploymentJson(ctx: HandlerContext, repo: FakeRepo, d: FakeDeployment): Record<string, unknown> {
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    url: `${api}/deployments/${d.id}`,
    id: d.id,
    node_id: `DE_${d.id}`,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userJson(ctx, d.creator),
    created_at: d.createdAt,
    updated_at: d.createdAt,
    statuses_url: `${api}/deployments/${d.id}/statuses`,
    repository_url: api,
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
  };
}

function deploymentStatusJson(
  ctx: HandlerContext,
  repo: FakeRepo,
  s: FakeDeploymentStatus,
): Record<string, unknown> {
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    url: `${api}/deployments/${s.deploymentId}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_${s.id}`,
    state: s.state,
    creator: userJson(ctx, s.creator),
    description: s.description,
    environment: s.environment,
    target_url: s.logUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: `${api}/deployments/${s.deploymentId}`,
    repository_url: api,
    environment_url: s.environmentUrl,
    log_url: s.logUrl,
  };
}

function runnerJson(r: FakeRunner): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    os: r.os,
    status: r.status,
    busy: r.busy,
    labels: r.labels.map((name, i) => ({
      id: i + 1,
      name,
      type: ["self-hosted", "linux", "x64", "gpu"].includes(name) && i < 3 ? "read-only" : "custom",
    })),
  };
}

function gitRefJson(ctx: HandlerContext, repo: FakeRepo, ref: string, sha: string): Record<string, unknown> {
  return {
    ref,
    node_id: `REF_${Buffer.from(ref).toString("base64url")}`,
    url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/${ref}`,
    object: {
      type: "commit",
      sha,
      url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/commits/${sha}`,
    },
  };
}

function gitCommitJson(ctx: HandlerContext, repo: FakeRepo, sha: string): Record<string, unknown> {
  const c = repo.commits[sha];
  if (c === undefined) return {};
  const api = `${ctx.apiBase}/repos/${repo.owner}/${repo.name}`;
  return {
    sha,
    node_id: `C_${sha}`,
    url: `${api}/git/commits/${sha}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}`,
    author: c.author,
    committer: c.author,
    message: c.message,
    tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` },
    parents: c.parents.map((p) => ({
      sha: p,
      url: `${api}/git/commits/${p}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${p}`,
    })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

/** Handlers by operation id; operations not listed answer with the description's example. */
export const handlers: Record<string, Handler> = {
  "apps/create-installation-access-token": (ctx) => {
    const token = `ghs_fake${randomBytes(12).toString("hex")}`;
    ctx.state.tokens[token] = ctx.state.appBot;
    const expires = new Date(ctx.state.now().getTime() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
      status: 201,
      body: {
        token,
        expires_at: expires,
        permissions: {
          checks: "write",
          contents: "write",
          deployments: "write",
          issues: "write",
          pull_requests: "write",
          actions: "write",
          metadata: "read",
        },
        repository_selection: "all",
      },
    };
  },

  "repos/get": withRepo((ctx, repo) => ({ status: 200, body: repoJson(ctx, repo) })),

  "repos/get-content": withRepo((ctx, repo) => {
    const ref = queryString(ctx, "ref") ?? repo.defaultBranch;
    const path = ctx.params.path ?? "";
    const byRef =
      repo.files[ref] ??
      (resolveSha(repo, ref) !== undefined ? repo.files[resolveSha(repo, ref) as string] : undefined);
    // Commits made through the git API hold the files of the tree they were created with.
    const commit = resolveSha(repo, ref);
    const tree = commit === undefined ? undefined : repo.trees[repo.commits[commit]?.tree ?? ""];
    const text = byRef?.[path] ?? tree?.find((e) => e.path === path)?.content;
    if (text === undefined) return notFound();
    const name = path.split("/").pop() ?? path;
    const sha = fakeSha(`blob:${text}`);
    return {
      status: 200,
      body: {
        type: "file",
        encoding: "base64",
        size: Buffer.byteLength(text),
        name,
        path,
        content: Buffer.from(text).toString("base64"),
        sha,
        url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/contents/${path}?ref=${ref}`,
        git_url: null,
        html_url: null,
        download_url: null,
        _links: {
          self: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/contents/${path}`,
          git: null,
          html: null,
        },
      },
    };
  }),

  "pulls/get": withRepo((ctx, repo) => {
    const pull = repo.pulls[Number(ctx.params.pull_number)];
    return pull === undefined ? notFound() : { status: 200, body: pullJson(ctx, repo, pull) };
  }),

  "pulls/create": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const head = String(b.head).replace(new RegExp(`^${repo.owner}:`, "i"), "");
    const base = String(b.base);
    const headSha = repo.refs[`refs/heads/${head}`];
    const baseSha = repo.refs[`refs/heads/${base}`];
    if (headSha === undefined || baseSha === undefined)
      return unprocessable("Validation Failed", [
        { resource: "PullRequest", field: "head", code: "invalid" },
      ]);
    if (Object.values(repo.pulls).some((p) => p.state === "open" && p.head.ref === head && !p.head.fork))
      return unprocessable("Validation Failed", [
        {
          resource: "PullRequest",
          code: "custom",
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        },
      ]);
    const pull: FakePull = {
      number: nextIssueNumber(repo),
      state: "open",
      merged: false,
      mergeCommitSha: null,
      title: String(b.title ?? ""),
      body: str(b.body) ?? null,
      user: ctx.actor,
      head: { ref: head, sha: headSha, fork: false, repoFullName: `${repo.owner}/${repo.name}` },
      base: { ref: base, sha: baseSha },
      files: [],
      labels: [],
    };
    repo.pulls[pull.number] = pull;
    return { status: 201, body: pullJson(ctx, repo, pull) };
  }),

  "pulls/list": withRepo((ctx, repo) => {
    const state = queryString(ctx, "state") ?? "open";
    const head = queryString(ctx, "head");
    const base = queryString(ctx, "base");
    const list = Object.values(repo.pulls)
      .filter(
        (p) =>
          (state === "all" || p.state === state) &&
          (head === undefined ||
            `${p.head.repoFullName.split("/")[0]}:${p.head.ref}`.toLowerCase() === head.toLowerCase()) &&
          (base === undefined || p.base.ref === base),
      )
      .sort((a, b) => b.number - a.number)
      .map((p) => pullJson(ctx, repo, p));
    return paginate(ctx, list);
  }),

  "pulls/list-commits": withRepo((ctx, repo) => {
    const pull = repo.pulls[Number(ctx.params.pull_number)];
    if (pull === undefined) return notFound();
    // The head's first-parent chain down to the base, oldest first, at most 250 as GitHub lists.
    const chain: string[] = [];
    for (let sha: string | undefined = pull.head.sha; sha !== undefined && sha !== pull.base.sha;) {
      const c: { parents: string[] } | undefined = repo.commits[sha];
      if (c === undefined || chain.length >= 250) break;
      chain.unshift(sha);
      sha = c.parents[0];
    }
    const example = (ctx.example("pulls/list-commits") as unknown as Array<Record<string, unknown>>)[0] ?? {};
    const list = chain.map((sha) => ({
      ...example,
      sha,
      node_id: `C_${sha.slice(0, 12)}`,
      url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/commits/${sha}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}`,
      commit: { ...(example.commit as object), message: repo.commits[sha]?.message ?? "" },
      parents: (repo.commits[sha]?.parents ?? []).map((p) => ({ sha: p, url: "", html_url: "" })),
    }));
    return paginate(ctx, list);
  }),

  "pulls/update": withRepo((ctx, repo) => {
    const pull = repo.pulls[Number(ctx.params.pull_number)];
    if (pull === undefined) return notFound();
    const b = bodyOf(ctx);
    if (str(b.title) !== undefined) pull.title = String(b.title);
    if (b.body !== undefined) pull.body = str(b.body) ?? null;
    if (b.state === "open" || b.state === "closed") pull.state = b.state;
    return { status: 200, body: pullJson(ctx, repo, pull) };
  }),

  "issues/create": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const issue: FakeIssue = {
      number: nextIssueNumber(repo),
      title: String(b.title),
      body: str(b.body) ?? null,
      state: "open",
      stateReason: null,
      user: ctx.actor,
      labels: ((b.labels ?? []) as unknown[]).map((l) =>
        typeof l === "string" ? l : String((l as { name?: string }).name),
      ),
      createdAt: iso(ctx.state),
    };
    repo.issues.push(issue);
    return { status: 201, body: issueJson(ctx, repo, issue) };
  }),

  "issues/get": withRepo((ctx, repo) => {
    const issue = repo.issues.find((i) => i.number === Number(ctx.params.issue_number));
    return issue === undefined ? notFound() : { status: 200, body: issueJson(ctx, repo, issue) };
  }),

  "issues/list-for-repo": withRepo((ctx, repo) => {
    const state = queryString(ctx, "state") ?? "open";
    const creator = queryString(ctx, "creator");
    // Pull requests are issues too in this listing; the fake lists only issues (tests filter anyway).
    const list = repo.issues
      .filter(
        (i) => (state === "all" || i.state === state) && (creator === undefined || i.user.login === creator),
      )
      .sort((a, b) => b.number - a.number)
      .map((i) => issueJson(ctx, repo, i));
    return paginate(ctx, list);
  }),

  "issues/update": withRepo((ctx, repo) => {
    const issue = repo.issues.find((i) => i.number === Number(ctx.params.issue_number));
    if (issue === undefined) return notFound();
    const b = bodyOf(ctx);
    if (str(b.title) !== undefined) issue.title = String(b.title);
    if (b.body !== undefined) issue.body = str(b.body) ?? null;
    if (b.state === "open" || b.state === "closed") issue.state = b.state;
    if (b.state_reason !== undefined)
      issue.stateReason = (b.state_reason ?? null) as FakeIssue["stateReason"];
    return { status: 200, body: issueJson(ctx, repo, issue) };
  }),

  "pulls/list-files": withRepo((ctx, repo) => {
    const pull = repo.pulls[Number(ctx.params.pull_number)];
    if (pull === undefined) return notFound();
    const files = pull.files.map((filename) => ({
      sha: fakeSha(`file:${filename}`),
      filename,
      status: "modified",
      additions: 1,
      deletions: 0,
      changes: 1,
      blob_url: `https://github.com/${repo.owner}/${repo.name}/blob/${pull.head.sha}/${filename}`,
      raw_url: `https://github.com/${repo.owner}/${repo.name}/raw/${pull.head.sha}/${filename}`,
      contents_url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/contents/${filename}?ref=${pull.head.sha}`,
    }));
    return paginate(ctx, files);
  }),

  "repos/get-combined-status-for-ref": withRepo((ctx, repo) => {
    const ref = ctx.params.ref ?? "";
    const sha = resolveSha(repo, ref);
    if (sha === undefined) return notFound();
    // The newest status per context counts, like GitHub.
    const latest = new Map<string, string>();
    for (const s of repo.statuses[sha] ?? []) latest.set(s.context, s.state);
    const states = [...latest.values()];
    const state = states.some((s) => s === "failure" || s === "error")
      ? "failure"
      : states.some((s) => s === "pending") || states.length === 0
        ? "pending"
        : "success";
    const statuses = [...latest].map(([context, st], i) => ({
      id: i + 1,
      node_id: `ST_${i + 1}`,
      url: "",
      avatar_url: null,
      state: st,
      description: null,
      target_url: null,
      context,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    }));
    return {
      status: 200,
      body: {
        state,
        statuses,
        sha,
        total_count: statuses.length,
        repository: repoJson(ctx, repo),
        commit_url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/commits/${sha}`,
        url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/commits/${sha}/status`,
      },
    };
  }),

  "pulls/list-reviews": withRepo((ctx, repo) => {
    const pull = repo.pulls[Number(ctx.params.pull_number)];
    if (pull === undefined) return notFound();
    const reviews = (repo.reviews[pull.number] ?? []).map((r) => ({
      id: r.id,
      node_id: `PRR_${r.id}`,
      user: userJson(ctx, r.user),
      body: "",
      state: r.state,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}#pullrequestreview-${r.id}`,
      pull_request_url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`,
      _links: { html: { href: "" }, pull_request: { href: "" } },
      submitted_at: r.submittedAt,
      commit_id: r.commitId,
      author_association: "MEMBER",
    }));
    return paginate(ctx, reviews);
  }),

  "repos/get-collaborator-permission-level": withRepo((ctx, repo) => {
    const username = ctx.params.username ?? "";
    const role = Object.entries(repo.permissions).find(
      ([login]) => login.toLowerCase() === username.toLowerCase(),
    )?.[1];
    if (role === undefined) return notFound();
    const legacy = role === "admin" ? "admin" : role === "maintain" || role === "write" ? "write" : "read";
    return {
      status: 200,
      body: {
        permission: legacy,
        role_name: role,
        user: {
          ...userJson(ctx, { login: username, id: 7, type: "User" }),
          permissions: {
            admin: role === "admin",
            maintain: role === "admin" || role === "maintain",
            push: legacy !== "read",
            triage: role !== "read",
            pull: true,
          },
        },
      },
    };
  }),

  "issues/list-comments": withRepo((ctx, repo) => {
    const n = Number(ctx.params.issue_number);
    const since = queryString(ctx, "since");
    const list = repo.comments
      .filter((c) => c.issueNumber === n && (since === undefined || c.updatedAt >= since))
      .sort((a, b) => a.id - b.id);
    return paginate(
      ctx,
      list.map((c) => commentJson(ctx, repo, c)),
    );
  }),

  "issues/create-comment": withRepo((ctx, repo) => {
    const now = iso(ctx.state);
    const c: FakeComment = {
      id: nextId(ctx.state),
      issueNumber: Number(ctx.params.issue_number),
      body: String(bodyOf(ctx).body),
      user: ctx.actor,
      createdAt: now,
      updatedAt: now,
    };
    repo.comments.push(c);
    return { status: 201, body: commentJson(ctx, repo, c) };
  }),

  "issues/get-comment": withRepo((ctx, repo) => {
    const c = repo.comments.find((x) => x.id === Number(ctx.params.comment_id));
    return c === undefined ? notFound() : { status: 200, body: commentJson(ctx, repo, c) };
  }),

  "issues/update-comment": withRepo((ctx, repo) => {
    const c = repo.comments.find((x) => x.id === Number(ctx.params.comment_id));
    if (c === undefined) return notFound();
    // GitHub lets only the author (or a maintainer) edit; the fake lets only the author.
    if (c.user.login !== ctx.actor.login)
      return { status: 403, body: { message: "Resource not accessible by integration", status: "403" } };
    c.body = String(bodyOf(ctx).body);
    c.updatedAt = iso(ctx.state);
    return { status: 200, body: commentJson(ctx, repo, c) };
  }),

  "issues/delete-comment": withRepo((ctx, repo) => {
    const i = repo.comments.findIndex((x) => x.id === Number(ctx.params.comment_id));
    if (i < 0) return notFound();
    repo.comments.splice(i, 1);
    return { status: 204 };
  }),

  "reactions/create-for-issue-comment": withRepo((ctx, repo) => {
    const commentId = Number(ctx.params.comment_id);
    if (!repo.comments.some((c) => c.id === commentId)) return notFound();
    const content = String(bodyOf(ctx).content);
    const existing = repo.reactions.find(
      (r) => r.commentId === commentId && r.content === content && r.user.login === ctx.actor.login,
    );
    const reaction = existing ?? { id: nextId(ctx.state), commentId, content, user: ctx.actor };
    if (existing === undefined) repo.reactions.push(reaction);
    return {
      status: existing === undefined ? 201 : 200,
      body: {
        id: reaction.id,
        node_id: `REA_${reaction.id}`,
        user: userJson(ctx, reaction.user),
        content,
        created_at: iso(ctx.state),
      },
    };
  }),

  "reactions/delete-for-issue-comment": withRepo((ctx, repo) => {
    const i = repo.reactions.findIndex(
      (r) => r.id === Number(ctx.params.reaction_id) && r.commentId === Number(ctx.params.comment_id),
    );
    if (i < 0) return notFound();
    repo.reactions.splice(i, 1);
    return { status: 204 };
  }),

  "checks/create": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const run: FakeCheckRun = {
      id: nextId(ctx.state),
      name: String(b.name),
      headSha: String(b.head_sha),
      status: "queued",
      conclusion: null,
      externalId: null,
      detailsUrl: null,
      startedAt: iso(ctx.state),
      completedAt: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      app: ctx.actor,
    };
    applyCheckRunBody(ctx, run, b);
    repo.checkRuns.push(run);
    return { status: 201, body: checkRunJson(ctx, repo, run) };
  }),

  "checks/update": withRepo((ctx, repo) => {
    const run = repo.checkRuns.find((r) => r.id === Number(ctx.params.check_run_id));
    if (run === undefined) return notFound();
    applyCheckRunBody(ctx, run, bodyOf(ctx));
    return { status: 200, body: checkRunJson(ctx, repo, run) };
  }),

  "checks/get": withRepo((ctx, repo) => {
    const run = repo.checkRuns.find((r) => r.id === Number(ctx.params.check_run_id));
    return run === undefined ? notFound() : { status: 200, body: checkRunJson(ctx, repo, run) };
  }),

  "checks/list-annotations": withRepo((ctx, repo) => {
    const run = repo.checkRuns.find((r) => r.id === Number(ctx.params.check_run_id));
    return run === undefined ? notFound() : paginate(ctx, run.annotations);
  }),

  "checks/list-for-ref": withRepo((ctx, repo) => {
    const ref = ctx.params.ref ?? "";
    const sha = resolveSha(repo, ref) ?? ref;
    const name = queryString(ctx, "check_name");
    const status = queryString(ctx, "status");
    const runs = repo.checkRuns
      .filter(
        (r) =>
          r.headSha === sha &&
          (name === undefined || r.name === name) &&
          (status === undefined || r.status === status),
      )
      .sort((a, b) => b.id - a.id)
      .map((r) => checkRunJson(ctx, repo, r));
    return paginate(ctx, runs, (page) => ({ total_count: runs.length, check_runs: page }));
  }),

  "actions/create-workflow-dispatch": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const ref = String(b.ref);
    if (resolveSha(repo, ref) === undefined) return unprocessable(`No ref found for: ${ref}`);
    const dispatch = {
      workflowId: ctx.params.workflow_id ?? "",
      ref,
      inputs: (b.inputs ?? {}) as Record<string, unknown>,
    };
    repo.dispatches.push(dispatch);
    ctx.state.hooks.onWorkflowDispatch?.(repo, dispatch);
    return { status: 204 };
  }),

  "actions/get-workflow-run": withRepo((ctx, repo) => {
    const run = repo.workflowRuns.find((r) => r.id === Number(ctx.params.run_id));
    return run === undefined ? notFound() : { status: 200, body: workflowRunJson(ctx, repo, run) };
  }),

  "actions/list-workflow-runs": withRepo((ctx, repo) => listRuns(ctx, repo, ctx.params.workflow_id)),
  "actions/list-workflow-runs-for-repo": withRepo((ctx, repo) => listRuns(ctx, repo, undefined)),

  "actions/list-workflow-run-artifacts": withRepo((ctx, repo) => {
    const runId = Number(ctx.params.run_id);
    if (!repo.workflowRuns.some((r) => r.id === runId)) return notFound();
    const name = queryString(ctx, "name");
    const list = repo.artifacts
      .filter((a) => a.runId === runId && (name === undefined || a.name === name))
      .map((a) => artifactJson(ctx, repo, a));
    return paginate(ctx, list, (page) => ({ total_count: list.length, artifacts: page }));
  }),

  "actions/get-artifact": withRepo((ctx, repo) => {
    const a = repo.artifacts.find((x) => x.id === Number(ctx.params.artifact_id));
    return a === undefined ? notFound() : { status: 200, body: artifactJson(ctx, repo, a) };
  }),

  "actions/download-artifact": withRepo((ctx, repo) => {
    const a = repo.artifacts.find((x) => x.id === Number(ctx.params.artifact_id));
    if (a === undefined) return notFound();
    if (a.expired === true) return { status: 410, body: { message: "Artifact has expired", status: "410" } };
    // GitHub answers 302 to a short-lived storage URL.
    return {
      status: 302,
      headers: {
        location: `${ctx.origin}/_fake/artifacts/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.name)}/${a.id}.zip`,
      },
    };
  }),

  "fake/artifact-zip": withRepo((ctx, repo) => {
    const a = repo.artifacts.find((x) => x.id === Number(ctx.params.artifact_id));
    if (a === undefined) return notFound();
    return { status: 200, raw: writeZip(artifactEntries(a)), headers: { "content-type": "application/zip" } };
  }),

  "git/create-commit": withRepo((ctx, repo) => {
    if (repo.gitReadOnly === true) return forbiddenWrite();
    const b = bodyOf(ctx);
    const parents = (b.parents ?? []) as string[];
    const tree = String(b.tree);
    if (
      tree !== EMPTY_TREE_SHA &&
      repo.trees[tree] === undefined &&
      !Object.values(repo.commits).some((c) => c.tree === tree)
    )
      return unprocessable("Tree SHA does not exist");
    for (const p of parents)
      if (repo.commits[p] === undefined)
        return unprocessable("Parent SHA does not exist or is not a commit object");
    const message = String(b.message);
    const sha = fakeSha(
      `commit:${repo.owner}/${repo.name}:${message}:${tree}:${parents.join(",")}:${nextId(ctx.state)}`,
    );
    const author = (b.author as { name?: string; email?: string; date?: string } | undefined) ?? {};
    repo.commits[sha] = {
      sha,
      message,
      tree,
      parents,
      author: {
        name: author.name ?? ctx.actor.login,
        email: author.email ?? `${ctx.actor.id}+${ctx.actor.login}@users.noreply.github.com`,
        date: author.date ?? iso(ctx.state),
      },
    };
    return { status: 201, body: gitCommitJson(ctx, repo, sha) };
  }),

  "git/create-blob": withRepo((ctx, repo) => {
    if (repo.gitReadOnly === true) return forbiddenWrite();
    const b = bodyOf(ctx);
    const encoding = str(b.encoding) ?? "utf-8";
    if (encoding !== "utf-8" && encoding !== "base64")
      return unprocessable(`encoding must be utf-8 or base64, got ${encoding}`);
    const bytes = Buffer.from(String(b.content), encoding === "base64" ? "base64" : "utf8");
    const sha = gitBlobSha(bytes);
    repo.blobs[sha] = bytes;
    return {
      status: 201,
      body: { sha, url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` },
    };
  }),

  "git/get-blob": withRepo((ctx, repo) => {
    const sha = ctx.params.file_sha ?? "";
    const bytes = repo.blobs[sha];
    if (bytes === undefined) return notFound();
    return {
      status: 200,
      body: {
        sha,
        node_id: `B_${sha.slice(0, 12)}`,
        size: bytes.length,
        url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`,
        content: bytes.toString("base64"),
        encoding: "base64",
      },
    };
  }),

  "git/create-tree": withRepo((ctx, repo) => {
    if (repo.gitReadOnly === true) return forbiddenWrite();
    const b = bodyOf(ctx);
    const base = str(b.base_tree);
    // A base tree must exist; trees of seeded commits are known only as ids and start empty.
    const known = (sha: string): boolean =>
      sha === EMPTY_TREE_SHA ||
      repo.trees[sha] !== undefined ||
      Object.values(repo.commits).some((c) => c.tree === sha);
    if (base !== undefined && !known(base)) return unprocessable("base_tree is not a valid tree");
    const files = new Map((base === undefined ? [] : (repo.trees[base] ?? [])).map((e) => [e.path, e]));
    type Entry = { path?: string; content?: string; sha?: string | null };
    for (const e of (b.tree ?? []) as Entry[]) {
      const path = String(e.path);
      if (e.content !== undefined && e.sha !== undefined)
        return unprocessable("Use either tree.sha or content, not both");
      if (e.sha === null) {
        files.delete(path);
        continue;
      }
      const bytes = e.sha === undefined ? Buffer.from(e.content ?? "", "utf8") : repo.blobs[e.sha];
      if (bytes === undefined) return unprocessable(`tree.sha ${e.sha} is not a valid blob`);
      const sha = gitBlobSha(bytes);
      repo.blobs[sha] = bytes;
      files.set(path, { path, sha, content: bytes.toString("utf8") });
    }
    const entries = [...files.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const sha = fakeSha(`tree:${entries.map((e) => `${e.path}:${e.sha}`).join("\n")}`);
    repo.trees[sha] = entries;
    return {
      status: 201,
      body: {
        sha,
        url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`,
        truncated: false,
        tree: entries.map((e) => ({
          path: e.path,
          mode: "100644",
          type: "blob",
          sha: e.sha,
          size: repo.blobs[e.sha]?.length ?? 0,
          url: `${ctx.apiBase}/repos/${repo.owner}/${repo.name}/git/blobs/${e.sha}`,
        })),
      },
    };
  }),

  "git/get-commit": withRepo((ctx, repo) => {
    const sha = ctx.params.commit_sha ?? "";
    return repo.commits[sha] === undefined
      ? notFound()
      : { status: 200, body: gitCommitJson(ctx, repo, sha) };
  }),

  "git/create-ref": withRepo((ctx, repo) => {
    if (repo.gitReadOnly === true) return forbiddenWrite();
    const b = bodyOf(ctx);
    const ref = String(b.ref);
    const sha = String(b.sha);
    if (repo.refs[ref] !== undefined) return unprocessable("Reference already exists");
    if (repo.commits[sha] === undefined) return unprocessable("Object does not exist");
    repo.refs[ref] = sha;
    return { status: 201, body: gitRefJson(ctx, repo, ref, sha) };
  }),

  "git/get-ref": withRepo((ctx, repo) => {
    const ref = `refs/${ctx.params.ref ?? ""}`;
    const sha = repo.refs[ref];
    return sha === undefined ? notFound() : { status: 200, body: gitRefJson(ctx, repo, ref, sha) };
  }),

  "git/list-matching-refs": withRepo((ctx, repo) => {
    const prefix = `refs/${ctx.params.ref ?? ""}`;
    const list = Object.entries(repo.refs)
      .filter(([ref]) => ref.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ref, sha]) => gitRefJson(ctx, repo, ref, sha));
    return { status: 200, body: list };
  }),

  "git/update-ref": withRepo((ctx, repo) => {
    if (repo.gitReadOnly === true) return forbiddenWrite();
    const ref = `refs/${ctx.params.ref ?? ""}`;
    const b = bodyOf(ctx);
    const current = repo.refs[ref];
    const sha = String(b.sha);
    if (current === undefined) return unprocessable("Reference does not exist");
    if (repo.commits[sha] === undefined) return unprocessable("Object does not exist");
    if (b.force !== true && !isAncestor(repo, current, sha))
      return unprocessable("Update is not a fast forward");
    repo.refs[ref] = sha;
    // An open pull request follows its head branch.
    for (const p of Object.values(repo.pulls))
      if (p.state === "open" && !p.head.fork && `refs/heads/${p.head.ref}` === ref) p.head.sha = sha;
    return { status: 200, body: gitRefJson(ctx, repo, ref, sha) };
  }),

  "git/delete-ref": withRepo((ctx, repo) => {
    const ref = `refs/${ctx.params.ref ?? ""}`;
    if (repo.refs[ref] === undefined) return unprocessable("Reference does not exist");
    delete repo.refs[ref];
    return { status: 204 };
  }),

  "repos/create-release": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const tag = String(b.tag_name);
    if (repo.releases.some((r) => r.tagName === tag)) {
      return unprocessable("Validation Failed", [
        { resource: "Release", code: "already_exists", field: "tag_name" },
      ]);
    }
    const draft = b.draft === true;
    const target = str(b.target_commitish) ?? repo.defaultBranch;
    if (!draft && repo.refs[`refs/tags/${tag}`] === undefined) {
      const sha = resolveSha(repo, target);
      if (sha === undefined)
        return unprocessable("Validation Failed", [
          { resource: "Release", code: "invalid", field: "target_commitish" },
        ]);
      repo.refs[`refs/tags/${tag}`] = sha;
    }
    const now = iso(ctx.state);
    const r: FakeRelease = {
      id: nextId(ctx.state),
      tagName: tag,
      targetCommitish: target,
      name: str(b.name) ?? null,
      body: str(b.body) ?? null,
      draft,
      prerelease: b.prerelease === true,
      createdAt: now,
      publishedAt: draft ? null : now,
      author: ctx.actor,
      assets: [],
    };
    repo.releases.push(r);
    return { status: 201, body: releaseJson(ctx, repo, r) };
  }),

  "repos/update-release": withRepo((ctx, repo) => {
    const r = repo.releases.find((x) => x.id === Number(ctx.params.release_id));
    if (r === undefined) return notFound();
    const b = bodyOf(ctx);
    if (str(b.tag_name) !== undefined) r.tagName = b.tag_name as string;
    if (str(b.target_commitish) !== undefined) r.targetCommitish = b.target_commitish as string;
    if (str(b.name) !== undefined) r.name = b.name as string;
    if (str(b.body) !== undefined) r.body = b.body as string;
    if (typeof b.prerelease === "boolean") r.prerelease = b.prerelease;
    if (b.draft === false && r.draft) {
      if (repo.refs[`refs/tags/${r.tagName}`] === undefined) {
        const sha = resolveSha(repo, r.targetCommitish);
        if (sha === undefined)
          return unprocessable("Validation Failed", [
            { resource: "Release", code: "invalid", field: "target_commitish" },
          ]);
        repo.refs[`refs/tags/${r.tagName}`] = sha;
      }
      r.draft = false;
      r.publishedAt = iso(ctx.state);
    }
    return { status: 200, body: releaseJson(ctx, repo, r) };
  }),

  "repos/delete-release": withRepo((ctx, repo) => {
    const i = repo.releases.findIndex((x) => x.id === Number(ctx.params.release_id));
    if (i < 0) return notFound();
    repo.releases.splice(i, 1);
    return { status: 204 };
  }),

  "repos/get-release": withRepo((ctx, repo) => {
    const r = repo.releases.find((x) => x.id === Number(ctx.params.release_id));
    return r === undefined ? notFound() : { status: 200, body: releaseJson(ctx, repo, r) };
  }),

  "repos/list-attestations": withRepo((ctx, repo) => {
    const bundles = repo.attestations[ctx.params.subject_digest ?? ""] ?? [];
    // GitHub answers 404 when a digest has no attestation in the repository.
    if (bundles.length === 0) return notFound();
    return {
      status: 200,
      body: { attestations: bundles.map((bundle) => ({ bundle, repository_id: repo.id })) },
    };
  }),

  "repos/get-release-by-tag": withRepo((ctx, repo) => {
    // Drafts have no tag yet: GitHub does not find them by tag.
    const r = repo.releases.find((x) => x.tagName === ctx.params.tag && !x.draft);
    return r === undefined ? notFound() : { status: 200, body: releaseJson(ctx, repo, r) };
  }),

  "repos/list-releases": withRepo((ctx, repo) => {
    const list = [...repo.releases].sort((a, b) => b.id - a.id).map((r) => releaseJson(ctx, repo, r));
    return paginate(ctx, list);
  }),

  "repos/list-release-assets": withRepo((ctx, repo) => {
    const r = repo.releases.find((x) => x.id === Number(ctx.params.release_id));
    return r === undefined
      ? notFound()
      : paginate(
          ctx,
          r.assets.map((a) => assetJson(ctx, repo, a)),
        );
  }),

  "repos/upload-release-asset": withRepo((ctx, repo) => {
    const r = repo.releases.find((x) => x.id === Number(ctx.params.release_id));
    if (r === undefined) return notFound();
    const name = String(queryString(ctx, "name"));
    if (r.assets.some((a) => a.name === name))
      return unprocessable("Validation Failed", [
        { resource: "ReleaseAsset", code: "already_exists", field: "name" },
      ]);
    const asset: FakeAsset = {
      id: nextId(ctx.state),
      name,
      label: queryString(ctx, "label") ?? null,
      contentType: ctx.headers["content-type"] ?? "application/octet-stream",
      data: Buffer.from(ctx.rawBody),
      uploader: ctx.actor,
      createdAt: iso(ctx.state),
    };
    r.assets.push(asset);
    return { status: 201, body: assetJson(ctx, repo, asset) };
  }),

  "repos/get-release-asset": withRepo((ctx, repo) => {
    const asset = findAsset(repo, Number(ctx.params.asset_id));
    if (asset === undefined) return notFound();
    if (/application\/octet-stream/i.test(ctx.headers.accept ?? "")) {
      return { status: 200, raw: asset.data, headers: { "content-type": "application/octet-stream" } };
    }
    return { status: 200, body: assetJson(ctx, repo, asset) };
  }),

  "repos/delete-release-asset": withRepo((ctx, repo) => {
    for (const r of repo.releases) {
      const i = r.assets.findIndex((a) => a.id === Number(ctx.params.asset_id));
      if (i >= 0) {
        r.assets.splice(i, 1);
        return { status: 204 };
      }
    }
    return notFound();
  }),

  "repos/create-deployment": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const ref = String(b.ref);
    const sha = resolveSha(repo, ref);
    if (sha === undefined) return unprocessable(`No ref found for: ${ref}`);
    const required = b.required_contexts as string[] | undefined;
    if (required !== undefined) {
      const failing = required.filter(
        (name) =>
          !repo.checkRuns.some((r) => r.headSha === sha && r.name === name && r.conclusion === "success"),
      );
      if (failing.length > 0) {
        return {
          status: 409,
          body: {
            message: `Conflict: Commit status checks failed for ${ref}.`,
            errors: failing.map((c) => ({
              contexts: [{ context: c, state: "pending" }],
              resource: "Deployment",
              field: "required_contexts",
              code: "invalid",
            })),
            status: "409",
          },
        };
      }
    }
    const environment = str(b.environment) ?? "production";
    const d: FakeDeployment = {
      id: nextId(ctx.state),
      sha,
      ref,
      task: str(b.task) ?? "deploy",
      environment,
      payload: typeof b.payload === "string" ? safeJson(b.payload) : (b.payload ?? {}),
      description: str(b.description) ?? null,
      transientEnvironment: b.transient_environment === true,
      productionEnvironment:
        typeof b.production_environment === "boolean"
          ? b.production_environment
          : environment === "production",
      creator: ctx.actor,
      createdAt: iso(ctx.state),
    };
    repo.deployments.push(d);
    return { status: 201, body: deploymentJson(ctx, repo, d) };
  }),

  "repos/list-deployments": withRepo((ctx, repo) => {
    const f = (k: string): string | undefined => queryString(ctx, k);
    const list = repo.deployments
      .filter(
        (d) =>
          (f("environment") === undefined || d.environment === f("environment")) &&
          (f("sha") === undefined || d.sha === f("sha")) &&
          (f("ref") === undefined || d.ref === f("ref")) &&
          (f("task") === undefined || d.task === f("task")),
      )
      .sort((a, b) => b.id - a.id)
      .map((d) => deploymentJson(ctx, repo, d));
    return paginate(ctx, list);
  }),

  "repos/get-deployment": withRepo((ctx, repo) => {
    const d = repo.deployments.find((x) => x.id === Number(ctx.params.deployment_id));
    return d === undefined ? notFound() : { status: 200, body: deploymentJson(ctx, repo, d) };
  }),

  "repos/create-deployment-status": withRepo((ctx, repo) => {
    const d = repo.deployments.find((x) => x.id === Number(ctx.params.deployment_id));
    if (d === undefined) return notFound();
    const b = bodyOf(ctx);
    const s: FakeDeploymentStatus = {
      id: nextId(ctx.state),
      deploymentId: d.id,
      state: String(b.state),
      description: str(b.description) ?? "",
      environment: str(b.environment) ?? d.environment,
      environmentUrl: str(b.environment_url) ?? "",
      logUrl: str(b.log_url) ?? str(b.target_url) ?? "",
      creator: ctx.actor,
      createdAt: iso(ctx.state),
    };
    repo.deploymentStatuses.push(s);
    // Like GitHub: a success marks earlier non-transient deployments of that environment inactive.
    if (s.state === "success" && b.auto_inactive !== false) {
      for (const other of repo.deployments) {
        if (other.id === d.id || other.environment !== d.environment || other.transientEnvironment) continue;
        const latest = repo.deploymentStatuses.filter((x) => x.deploymentId === other.id).at(-1);
        if (latest !== undefined && latest.state === "success") {
          repo.deploymentStatuses.push({
            ...latest,
            id: nextId(ctx.state),
            state: "inactive",
            description: "",
            createdAt: iso(ctx.state),
          });
        }
      }
    }
    return { status: 201, body: deploymentStatusJson(ctx, repo, s) };
  }),

  "repos/list-deployment-statuses": withRepo((ctx, repo) => {
    const id = Number(ctx.params.deployment_id);
    if (!repo.deployments.some((d) => d.id === id)) return notFound();
    const list = repo.deploymentStatuses
      .filter((s) => s.deploymentId === id)
      .sort((a, b) => b.id - a.id)
      .map((s) => deploymentStatusJson(ctx, repo, s));
    return paginate(ctx, list);
  }),

  "actions/list-self-hosted-runners-for-repo": withRepo((ctx, repo) => {
    const name = queryString(ctx, "name");
    const list = repo.runners.filter((r) => name === undefined || r.name === name).map(runnerJson);
    return paginate(ctx, list, (page) => ({ total_count: list.length, runners: page }));
  }),

  "actions/list-self-hosted-runners-for-org": (ctx) => {
    const runners = ctx.state.orgRunners[ctx.params.org ?? ""];
    if (runners === undefined)
      return { status: 403, body: { message: "Resource not accessible by integration", status: "403" } };
    const list = runners.map(runnerJson);
    return paginate(ctx, list, (page) => ({ total_count: list.length, runners: page }));
  },

  "actions/generate-runner-jitconfig-for-repo": withRepo((ctx, repo) => {
    const b = bodyOf(ctx);
    const runner: FakeRunner = {
      id: nextId(ctx.state),
      name: String(b.name),
      os: "linux",
      status: "offline",
      busy: false,
      labels: (b.labels as string[] | undefined) ?? [],
    };
    repo.runners.push(runner);
    return {
      status: 201,
      body: {
        runner: runnerJson(runner),
        encoded_jit_config: Buffer.from(
          JSON.stringify({ runner: runner.name, labels: runner.labels }),
        ).toString("base64"),
      },
    };
  }),

  "actions/generate-runner-jitconfig-for-org": (ctx) => {
    const b = bodyOf(ctx);
    const runner: FakeRunner = {
      id: nextId(ctx.state),
      name: String(b.name),
      os: "linux",
      status: "offline",
      busy: false,
      labels: (b.labels as string[] | undefined) ?? [],
    };
    (ctx.state.orgRunners[ctx.params.org ?? ""] ??= []).push(runner);
    return {
      status: 201,
      body: {
        runner: runnerJson(runner),
        encoded_jit_config: Buffer.from(
          JSON.stringify({ runner: runner.name, labels: runner.labels }),
        ).toString("base64"),
      },
    };
  },
};

function listRuns(ctx: HandlerContext, repo: FakeRepo, workflowId: string | undefined): HandlerResult {
  const f = (k: string): string | undefined => queryString(ctx, k);
  const list = repo.workflowRuns
    .filter(
      (r) =>
        (workflowId === undefined || r.workflowFile === workflowId || String(r.id) === workflowId) &&
        (f("event") === undefined || r.event === f("event")) &&
        (f("branch") === undefined || r.headBranch === f("branch")) &&
        (f("head_sha") === undefined || r.headSha === f("head_sha")) &&
        (f("status") === undefined || r.status === f("status") || r.conclusion === f("status")),
    )
    .sort((a, b) => b.id - a.id)
    .map((r) => workflowRunJson(ctx, repo, r));
  return paginate(ctx, list, (page) => ({ total_count: list.length, workflow_runs: page }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export type { FakeAsset, FakeDeployment, FakeRelease };
