import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openGitHubReleasesRegistry } from "../../../adapters/github/releases-registry.ts";
import { openGitRegistry } from "../../../adapters/registry-git/git-registry.ts";
import { renderFetchEnv, type ModelSource } from "../../../core/kubernetes/model-source.ts";
import type { Artifact, ModelVersion } from "../../../core/registry/registry-port.ts";
import { actionsClient } from "../../adapters/github/github-clients.ts";
import { git, makeRepo, makeRunDir, tempDir } from "../../adapters/registry-git/git-fixtures.ts";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";
import { runCli } from "../../cli/run-cli.ts";

const TAGS = "model/{name}/v{version}";
const now = new Date("2026-03-01T12:00:00Z");
const MODEL = Buffer.from("onnx model bytes v1");
const dirs: string[] = [];

async function scratch(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs `modelship fetch-model` as the init container does, with the variables the Deployment sets. */
async function fetchAsInitContainer(
  source: ModelSource,
  version: ModelVersion,
  artifacts = version.artifacts,
) {
  const root = join(await scratch("modelship-models-"), "models");
  const env = Object.fromEntries(
    renderFetchEnv(source, { name: version.name, version: version.version, artifacts }).map((e) => [
      e.name,
      e.value,
    ]),
  );
  const result = await runCli(["fetch-model", "--dir", root], { cwd: root.replace(/models$/, ""), env });
  const left = await readdir(root).catch(() => []);
  return { ...result, root, left };
}

async function filesUnder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out[path.slice(dir.length + 1)] = createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  }
  return out;
}

const byPath = (artifacts: readonly Artifact[]) =>
  Object.fromEntries(artifacts.map((a) => [a.path, a.sha256]));

describe("fetch-model from a git registry (a real remote repository)", () => {
  async function registered() {
    const repo = await makeRepo({ commit: true });
    dirs.push(repo);
    const head = await git(repo, ["rev-parse", "HEAD"]);
    const run = await makeRunDir({ runId: "run-1", commit: head, branch: "main", model: MODEL });
    dirs.push(run);
    const registry = await openGitRegistry({ repoDir: repo, tagFormat: TAGS });
    const { version } = await registry.register({ runDir: run, name: "iris", bump: "minor", now });
    const source: ModelSource = { registry: "git", url: pathToFileURL(repo).href, tagFormat: TAGS };
    return { repo, version, source };
  }

  it("fetches the tagged version into DIR/NAME/VERSION, every file matching its pinned digest", async () => {
    const { version, source } = await registered();
    const r = await fetchAsInitContainer(source, version);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const dir = join(r.root, "iris", "1.0.0");
    expect(r.stdout).toContain(`verified ${dir}`);
    expect(await filesUnder(dir)).toEqual(byPath(version.artifacts));
    expect(r.left).toEqual(["iris"]);
  });

  it("exits 1 with artifact-digest-mismatch and leaves nothing when the tag's model bytes were replaced", async () => {
    const { repo, version, source } = await registered();
    await retagWithModel(repo, version.tag, Buffer.from("evil model"));
    const r = await fetchAsInitContainer(source, version);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[artifact-digest-mismatch]");
    expect(await filesUnder(r.root)).toEqual({});
  });

  it("exits 1 with model-digest-mismatch when the registry entry no longer matches the pinned digests", async () => {
    const { version, source } = await registered();
    const pinned = version.artifacts.map((a) =>
      a.path === "model/model.onnx" ? { ...a, sha256: "0".repeat(64) } : a,
    );
    const r = await fetchAsInitContainer(source, version, pinned);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("model/model.onnx differ");
    expect(r.stderr).toContain("[model-digest-mismatch]");
    expect(r.left).toEqual([]);
  });

  it("exits 2 with fetch-input-invalid when the pinned digests are not a digest list", async () => {
    const { version, source } = await registered();
    const r = await fetchAsInitContainer(source, version, [
      { path: "model/model.onnx", sha256: "abc", bytes: 1 },
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("MODELSHIP_MODEL_ARTIFACTS is not a JSON list");
    expect(r.stderr).toContain("[fetch-input-invalid]");
  });

  it("exits 2 with registry-unreachable when the remote has no such tag", async () => {
    const { version, source } = await registered();
    const r = await fetchAsInitContainer(source, { ...version, version: "9.9.9" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("[registry-unreachable]");
    expect(r.left).toEqual([]);
  });
});

/** Re-points an annotated tag at a commit whose model file holds other bytes, keeping its message (and so its recorded digests). */
async function retagWithModel(repo: string, tag: string, bytes: Buffer): Promise<void> {
  const commit = await git(repo, ["rev-list", "-n", "1", tag]);
  const message = await git(repo, ["tag", "-l", "--format=%(contents)", tag]);
  const blob = await git(repo, ["hash-object", "-w", "--stdin"], bytes.toString("latin1"));
  const index = join(await scratch("modelship-index-"), "index");
  const env = { ...process.env, GIT_INDEX_FILE: index };
  const run = async (args: string[]) => {
    const { execFile } = await import("node:child_process");
    return new Promise<string>((resolve, reject) =>
      execFile("git", args, { cwd: repo, env }, (err, out) => (err ? reject(err) : resolve(out.trim()))),
    );
  };
  await run(["read-tree", `${commit}^{tree}`]);
  await run(["update-index", "--cacheinfo", `100644,${blob},model/model.onnx`]);
  const tree = await run(["write-tree"]);
  const forged = await git(repo, ["commit-tree", tree, "-p", `${commit}^`, "-m", "forged"]);
  const msgFile = join(await scratch("modelship-msg-"), "msg");
  await writeFile(msgFile, message);
  await git(repo, ["tag", "-f", "-a", "-F", msgFile, tag, forged]);
}

describe("fetch-model from GitHub Releases (a local server answering GitHub's API)", () => {
  let gh: FakeGitHub;
  let repoCount = 0;
  beforeAll(async () => {
    gh = await startFakeGitHub();
  });
  afterAll(() => gh.close());

  async function registered() {
    const repo = gh.repo("acme", `serve-${++repoCount}`);
    const registry = await openGitHubReleasesRegistry(actionsClient(gh), {
      owner: "acme",
      repo: repo.name,
      tagFormat: TAGS,
    });
    const run = await makeRunDir({ runId: "run-1", model: MODEL });
    dirs.push(run);
    const { version } = await registry.register({ runDir: run, name: "iris", bump: "minor", now });
    const source: ModelSource = {
      registry: "github",
      repository: `acme/${repo.name}`,
      apiUrl: gh.url,
      tagFormat: TAGS,
    };
    return { repo, version, source };
  }

  it("downloads the release assets and verifies them", async () => {
    const { version, source } = await registered();
    const r = await fetchAsInitContainer(source, version);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await filesUnder(join(r.root, "iris", "1.0.0"))).toEqual(byPath(version.artifacts));
    expect(gh.invalid).toEqual([]);
  });

  it("exits 1 with artifact-digest-mismatch and leaves nothing when a release asset was replaced", async () => {
    const { repo, version, source } = await registered();
    const asset = repo.releases[0]?.assets.find((a) => a.name === "model.model.onnx");
    expect(asset).toBeDefined();
    if (asset) asset.data = Buffer.from("evil model");
    const r = await fetchAsInitContainer(source, version);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[artifact-digest-mismatch]");
    expect(await filesUnder(r.root)).toEqual({});
  });

  it("re-checks a copy left by an earlier start and fetches again when it was altered", async () => {
    const { version, source } = await registered();
    const first = await fetchAsInitContainer(source, version);
    expect(first.code).toBe(0);
    const stale = join(first.root, "iris", "1.0.0", "model", "model.onnx");
    await writeFile(stale, "altered on the volume");
    const env = Object.fromEntries(
      renderFetchEnv(source, { name: "iris", version: "1.0.0", artifacts: version.artifacts }).map((e) => [
        e.name,
        e.value,
      ]),
    );
    await mkdir(first.root, { recursive: true });
    const again = await runCli(["fetch-model", "--dir", first.root], { cwd: first.root, env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("[cache-digest-mismatch]");
    expect(await readFile(stale)).toEqual(MODEL);
  });
});
