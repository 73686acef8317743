import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inflateRawSync } from "node:zlib";
import { Octokit } from "@octokit/rest";
import { createHash, generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { addPull, startFakeGitHub, type FakeGitHub } from "./fake-github.ts";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let gh: FakeGitHub;
let octokit: Octokit;

beforeAll(async () => {
  gh = await startFakeGitHub();
  octokit = new Octokit({ baseUrl: gh.url, auth: "test-token", log: quiet });
});
afterAll(async () => {
  await gh.close();
});

/** Reads the file names and contents of a zip archive through its central directory. */
function unzipNames(zip: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let p = zip.readUInt32LE(end + 16);
  const count = zip.readUInt16LE(end + 10);
  for (let i = 0; i < count; i++) {
    const nameLen = zip.readUInt16LE(p + 28);
    const size = zip.readUInt32LE(p + 20);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString();
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out[name] = inflateRawSync(zip.subarray(dataStart, dataStart + size)).toString();
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return out;
}

describe("fake GitHub", () => {
  it("records valid requests with their operation id and body", async () => {
    const repo = gh.repo("acme", "models");
    const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "models" });
    expect(data.default_branch).toBe("main");
    const before = gh.calls.length;
    await octokit.rest.checks.create({
      owner: "acme",
      repo: "models",
      name: "modelship/train",
      head_sha: repo.refs["refs/heads/main"] ?? "",
      status: "queued",
    });
    expect(gh.calls.slice(before)).toEqual([
      expect.objectContaining({
        operationId: "checks/create",
        method: "POST",
        status: 201,
        body: expect.objectContaining({ name: "modelship/train", status: "queued" }),
      }),
    ]);
    expect(gh.invalid).toEqual([]);
  });

  it.each([
    ["a misspelt enum value", { conclusion: "sucess" }],
    ["a missing required field", { head_sha: undefined }],
  ])("answers 422 and records %s in invalid", async (_label, patch) => {
    const invalidBefore = gh.invalid.length;
    const body = { name: "modelship/train", head_sha: "abc", ...patch };
    await expect(
      octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        owner: "acme",
        repo: "models",
        ...body,
      } as never),
    ).rejects.toMatchObject({ status: 422 });
    expect(gh.invalid.slice(invalidBefore)).toEqual([
      expect.objectContaining({ operationId: "checks/create", status: 422 }),
    ]);
    gh.invalid.splice(invalidBefore);
  });

  it.each([
    ["an owner/name", "acme/models", 201],
    ["a name without its owner", "models", 422],
    ["an owner ending in a hyphen", "acme-/models", 422],
    ["an owner longer than 39 characters", `${"a".repeat(40)}/models`, 422],
  ])(
    "checks pulls/create's head_repo (format repo.nwo): %s, %s, answers %i",
    async (_label, headRepo, status) => {
      const repo = gh.repo("acme", "nwo");
      const invalidBefore = gh.invalid.length;
      const create = octokit.rest.pulls.create({
        owner: "acme",
        repo: "nwo",
        title: "t",
        head: "main",
        base: "main",
        head_repo: headRepo,
      });
      if (status === 201) await expect(create).resolves.toMatchObject({ status });
      else await expect(create).rejects.toMatchObject({ status });
      expect(gh.invalid.slice(invalidBefore)).toEqual(
        status === 201 ? [] : [expect.objectContaining({ operationId: "pulls/create", status })],
      );
      gh.invalid.splice(invalidBefore);
      repo.pulls = {};
    },
  );

  it("answers 404 for a route GitHub does not have and records it", async () => {
    const invalidBefore = gh.invalid.length;
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/no-such-thing", { owner: "acme", repo: "models" }),
    ).rejects.toMatchObject({ status: 404 });
    expect(gh.invalid.slice(invalidBefore)).toEqual([
      expect.objectContaining({ operationId: "unknown", status: 404 }),
    ]);
    gh.invalid.splice(invalidBefore);
  });

  it("serves the same API under /api/v3 for GitHub Enterprise style clients", async () => {
    const ghe = new Octokit({ baseUrl: `${gh.url}/api/v3`, auth: "t" });
    const { data } = await ghe.rest.repos.get({ owner: "acme", repo: "models" });
    expect(data.full_name).toBe("acme/models");
  });

  it("paginates issue comments with Link headers that Octokit follows", async () => {
    gh.repo("acme", "models");
    for (let i = 0; i < 7; i++)
      await octokit.rest.issues.createComment({
        owner: "acme",
        repo: "models",
        issue_number: 5,
        body: `comment ${i}`,
      });
    const before = gh.calls.length;
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: "acme",
      repo: "models",
      issue_number: 5,
      per_page: 3,
    });
    expect(all.map((c) => c.body)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `comment ${i}`));
    expect(gh.calls.slice(before).map((c) => [c.operationId, c.query.page ?? "1"])).toEqual([
      ["issues/list-comments", "1"],
      ["issues/list-comments", "2"],
      ["issues/list-comments", "3"],
    ]);
  });

  it("creates a ref atomically: the second create answers 422", async () => {
    const repo = gh.repo("acme", "models");
    const sha = repo.refs["refs/heads/main"] ?? "";
    await octokit.rest.git.createRef({
      owner: "acme",
      repo: "models",
      ref: "refs/heads/lock/production",
      sha,
    });
    await expect(
      octokit.rest.git.createRef({ owner: "acme", repo: "models", ref: "refs/heads/lock/production", sha }),
    ).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Reference already exists" } },
    });
    const { data } = await octokit.rest.git.getRef({
      owner: "acme",
      repo: "models",
      ref: "heads/lock/production",
    });
    expect(data.object.sha).toBe(sha);
    expect(gh.invalid).toEqual([]);
  });

  it("downloads a run artifact as a real zip after GitHub's redirect", async () => {
    const repo = gh.repo("acme", "models");
    const pull = addPull(gh.state, repo, { number: 9 });
    repo.workflowRuns.push({
      id: 77,
      workflowFile: "modelship-train.yml",
      name: "modelship train",
      displayTitle: "modelship train c-1",
      event: "workflow_dispatch",
      status: "completed",
      conclusion: "success",
      headSha: pull.head.sha,
      headBranch: pull.head.ref,
      runAttempt: 1,
      createdAt: "2026-01-01T00:00:00Z",
    });
    repo.artifacts.push({
      id: 88,
      runId: 77,
      name: "modelship-run-c-1",
      files: [
        { name: "run.json", data: '{"ok":true}' },
        { name: "model/model.onnx", data: "onnx" },
      ],
    });
    const { data: list } = await octokit.rest.actions.listWorkflowRunArtifacts({
      owner: "acme",
      repo: "models",
      run_id: 77,
      name: "modelship-run-c-1",
    });
    expect(list.artifacts.map((a) => a.id)).toEqual([88]);
    const { data } = await octokit.rest.actions.downloadArtifact({
      owner: "acme",
      repo: "models",
      artifact_id: 88,
      archive_format: "zip",
    });
    expect(unzipNames(Buffer.from(data as ArrayBuffer))).toEqual({
      "run.json": '{"ok":true}',
      "model/model.onnx": "onnx",
    });
    expect(gh.invalid).toEqual([]);
  });

  it("serves repository contents on a ref, base64-encoded", async () => {
    const repo = gh.repo("acme", "models");
    repo.files.main = { ".github/modelship.yml": "model:\n  name: iris\n" };
    const { data } = await octokit.rest.repos.getContent({
      owner: "acme",
      repo: "models",
      path: ".github/modelship.yml",
      ref: "main",
    });
    expect(Buffer.from((data as { content: string }).content, "base64").toString()).toBe(
      "model:\n  name: iris\n",
    );
    await expect(
      octokit.rest.repos.getContent({
        owner: "acme",
        repo: "models",
        path: ".github/modelship.yml",
        ref: "other",
      }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("lets Probot authenticate as an installation through GHE_HOST-style /api/v3", async () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const probot = new Probot({
      appId: 1,
      privateKey,
      baseUrl: `http://${gh.gheHost}/api/v3`,
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
      log: pino({ level: "silent" }),
    });
    const installation = await probot.auth(42);
    const { data } = await installation.rest.issues.createComment({
      owner: "acme",
      repo: "models",
      issue_number: 2,
      body: "from the app",
    });
    expect(data.user?.login).toBe("modelship[bot]");
    expect(gh.callsTo("apps/create-installation-access-token").at(-1)?.path).toBe(
      "/app/installations/42/access_tokens",
    );
  });

  it("serves pull requests (fork or not), their files, reviews and combined status from state", async () => {
    const repo = gh.repo("acme", "prs");
    const own = addPull(gh.state, repo, { number: 3, files: ["train.py"], labels: ["bump:minor"] });
    const fork = addPull(gh.state, repo, { number: 4, fork: true });
    repo.reviews[3] = [
      {
        id: 1,
        user: { login: "bob", id: 2, type: "User" },
        state: "APPROVED",
        commitId: own.head.sha,
        submittedAt: "2026-01-01T00:00:00Z",
      },
    ];
    repo.statuses[own.head.sha] = [
      { context: "ci", state: "failure" },
      { context: "ci", state: "success" },
    ];
    const { data: p3 } = await octokit.rest.pulls.get({ owner: "acme", repo: "prs", pull_number: 3 });
    const { data: p4 } = await octokit.rest.pulls.get({ owner: "acme", repo: "prs", pull_number: 4 });
    expect([p3.head.sha, p3.head.repo?.fork, p3.labels.map((l) => l.name)]).toEqual([
      own.head.sha,
      false,
      ["bump:minor"],
    ]);
    expect([p4.head.sha, p4.head.repo?.fork, p4.head.repo?.full_name]).toEqual([
      fork.head.sha,
      true,
      "fork-owner/prs",
    ]);
    const { data: files } = await octokit.rest.pulls.listFiles({
      owner: "acme",
      repo: "prs",
      pull_number: 3,
    });
    expect(files.map((f) => f.filename)).toEqual(["train.py"]);
    const { data: reviews } = await octokit.rest.pulls.listReviews({
      owner: "acme",
      repo: "prs",
      pull_number: 3,
    });
    expect(reviews.map((r) => [r.state, r.commit_id])).toEqual([["APPROVED", own.head.sha]]);
    const { data: status } = await octokit.rest.repos.getCombinedStatusForRef({
      owner: "acme",
      repo: "prs",
      ref: own.head.sha,
    });
    expect(status.state).toBe("success");
    await expect(
      octokit.rest.pulls.get({ owner: "acme", repo: "prs", pull_number: 99 }),
    ).rejects.toMatchObject({ status: 404 });
    expect(gh.invalid).toEqual([]);
  });

  it("mints installation tokens and acts as the App with them", async () => {
    const { data } = await octokit.rest.apps.createInstallationAccessToken({ installation_id: 1 });
    const asApp = new Octokit({ baseUrl: gh.url, auth: data.token });
    const { data: comment } = await asApp.rest.issues.createComment({
      owner: "acme",
      repo: "models",
      issue_number: 1,
      body: "hi",
    });
    expect(comment.user?.login).toBe("modelship[bot]");
  });

  it("uploads a release asset to upload_url and downloads the same bytes", async () => {
    gh.repo("acme", "models");
    const { data: release } = await octokit.rest.repos.createRelease({
      owner: "acme",
      repo: "models",
      tag_name: "v1.0.0",
      target_commitish: "main",
    });
    const bytes = Buffer.from([0, 1, 2, 250, 251]);
    const { data: asset } = await octokit.request({
      method: "POST",
      url: release.upload_url,
      name: "model.onnx",
      data: bytes,
      headers: { "content-type": "application/octet-stream" },
    });
    const { data: got } = await octokit.request("GET /repos/{owner}/{repo}/releases/assets/{asset_id}", {
      owner: "acme",
      repo: "models",
      asset_id: (asset as { id: number }).id,
      headers: { accept: "application/octet-stream" },
    });
    expect(Buffer.from(got as unknown as ArrayBuffer)).toEqual(bytes);
    expect(gh.callsTo("repos/upload-release-asset")).toHaveLength(1);
    expect(gh.invalid).toEqual([]);
  });

  it("keeps blobs and builds trees from blob shas, base trees and deletions, as git does", async () => {
    const repo = gh.repo("acme", "assets");
    const r = { owner: "acme", repo: "assets" };
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    const { data: blob } = await octokit.rest.git.createBlob({
      ...r,
      content: png.toString("base64"),
      encoding: "base64",
    });
    // git's own id for these bytes (`git hash-object`): sha1 of "blob 6\0" + bytes.
    expect(blob.sha).toBe(
      createHash("sha1")
        .update(Buffer.concat([Buffer.from("blob 6\0"), png]))
        .digest("hex"),
    );
    const { data: got } = await octokit.rest.git.getBlob({ ...r, file_sha: blob.sha });
    expect(Buffer.from(got.content, "base64")).toEqual(png);
    const { data: first } = await octokit.rest.git.createTree({
      ...r,
      tree: [
        { path: "a/plot.png", mode: "100644", type: "blob", sha: blob.sha },
        { path: "a/notes.txt", mode: "100644", type: "blob", content: "hello" },
      ],
    });
    expect(first.tree.map((e) => [e.path, e.sha])).toEqual([
      ["a/notes.txt", "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"],
      ["a/plot.png", blob.sha],
    ]);
    const { data: second } = await octokit.rest.git.createTree({
      ...r,
      base_tree: first.sha,
      tree: [
        { path: "a/notes.txt", mode: "100644", type: "blob", sha: null },
        { path: "b/more.txt", mode: "100644", type: "blob", content: "more" },
      ],
    });
    expect(second.tree.map((e) => e.path)).toEqual(["a/plot.png", "b/more.txt"]);
    expect(repo.trees[second.sha]?.find((e) => e.path === "b/more.txt")?.content).toBe("more");
    await expect(
      octokit.rest.git.createTree({
        ...r,
        tree: [{ path: "x", mode: "100644", type: "blob", sha: "0".repeat(40) }],
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      octokit.rest.git.createTree({ ...r, base_tree: "1".repeat(40), tree: [] }),
    ).rejects.toMatchObject({ status: 422 });
    repo.gitReadOnly = true;
    await expect(octokit.rest.git.createBlob({ ...r, content: "x" })).rejects.toMatchObject({ status: 403 });
    expect(gh.invalid).toEqual([]);
  });
});
