import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import type { Registry } from "../../../core/registry/registry-port.ts";
import { openGitRegistry } from "../../../adapters/registry-git/git-registry.ts";
import { git, makeRepo, makeRunDir, tempDir } from "./git-fixtures.ts";

const TAG_FORMAT = "model/{name}/v{version}";
const NOW = new Date("2026-03-01T12:00:00.000Z");

async function open(repoDir: string): Promise<Registry> {
  return openGitRegistry({ repoDir, tagFormat: TAG_FORMAT });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ModelshipError) return err.code;
    throw err;
  }
  throw new Error("expected a ModelshipError, nothing was thrown");
}

async function tags(repoDir: string): Promise<string[]> {
  const out = await git(repoDir, ["tag", "--list"]);
  return out ? out.split("\n") : [];
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("register", () => {
  it("stores the run as an annotated tag whose commit descends from the source commit", async () => {
    const repo = await makeRepo({ commit: true });
    const head = await git(repo, ["rev-parse", "HEAD"]);
    const run = await makeRunDir({ runId: "run-1", commit: head, branch: "main" });
    const registry = await open(repo);

    const { outcome, version } = await registry.register({
      runDir: run,
      name: "iris",
      bump: "minor",
      pr: 7,
      now: NOW,
    });

    expect(outcome).toBe("created");
    expect(version).toMatchObject({
      name: "iris",
      version: "1.0.0",
      tag: "model/iris/v1.0.0",
      createdAt: NOW.toISOString(),
      runId: "run-1",
      metrics: { accuracy: 0.9, loss: 0.3 },
      params: { epochs: 5, learningRate: 0.01 },
      dataFingerprint: "sha256:feed",
      lineage: { commit: head, branch: "main", runId: "run-1", parentVersion: null, pr: 7 },
      aliases: [],
    });
    expect(version.signature?.inputs[0]).toEqual({ name: "features", datatype: "FP32", shape: [-1, 4] });
    expect(version.artifacts.map((a) => a.path)).toEqual([
      "MODEL_CARD.md",
      "metrics.json",
      "model/model.onnx",
      "model/preprocess.json",
      "params.json",
      "run.json",
    ]);
    const model = await readFile(join(run, "model/model.onnx"));
    expect(version.artifacts.find((a) => a.path === "model/model.onnx")).toEqual({
      path: "model/model.onnx",
      sha256: sha256(model),
      bytes: model.length,
    });

    expect(await git(repo, ["cat-file", "-t", "refs/tags/model/iris/v1.0.0"])).toBe("tag");
    expect(await git(repo, ["rev-parse", "model/iris/v1.0.0^{commit}^"])).toBe(head);
    expect(await git(repo, ["tag", "-n1", "--list", "model/iris/v1.0.0"])).toContain(
      "modelship: iris 1.0.0 (run run-1)",
    );
    expect(await registry.get("iris", "1.0.0")).toEqual(version);
    expect(await registry.list()).toEqual([version]);
  });

  it("works in a repository without commits and leaves a dirty working tree and index alone", async () => {
    const repo = await makeRepo();
    await writeFile(join(repo, "staged.txt"), "staged\n");
    await git(repo, ["add", "staged.txt"]);
    await writeFile(join(repo, "untracked.txt"), "untracked\n");
    const statusBefore = await git(repo, ["status", "--porcelain"]);
    const registry = await open(repo);

    const { version } = await registry.register({
      runDir: await makeRunDir({ runId: "run-1", commit: "0123456789abcdef0123456789abcdef01234567" }),
      name: "iris",
      bump: "patch",
      now: NOW,
    });

    expect(version.version).toBe("1.0.0");
    expect(version.lineage.commit).toBe("0123456789abcdef0123456789abcdef01234567");
    expect(await git(repo, ["status", "--porcelain"])).toBe(statusBefore);
    expect(await git(repo, ["diff", "--cached", "--name-only"])).toBe("staged.txt");
    await expect(git(repo, ["rev-parse", "--verify", "-q", "HEAD"])).rejects.toThrow();
    // No source commit in this repo: the version commit is a root commit.
    expect(await git(repo, ["rev-list", "--count", "model/iris/v1.0.0^{commit}"])).toBe("1");
  });

  it("returns the existing version when the same run is registered again", async () => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "run-1" });
    const registry = await open(repo);
    const first = await registry.register({ runDir: run, name: "iris", bump: "minor", now: NOW });

    const again = await registry.register({
      runDir: run,
      name: "iris",
      bump: "major",
      now: new Date("2026-04-01"),
    });
    const exact = await registry.register({ runDir: run, name: "iris", bump: { exact: "1.0.0" }, now: NOW });

    expect(again).toEqual({ outcome: "already-registered", version: first.version });
    expect(exact.outcome).toBe("already-registered");
    expect(await tags(repo)).toEqual(["model/iris/v1.0.0"]);
  });

  it("registers the same run twice in parallel as one version", async () => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "run-1" });
    const [a, b] = await Promise.all([open(repo), open(repo)]);

    const results = await Promise.all([
      a.register({ runDir: run, name: "iris", bump: "minor", now: NOW }),
      b.register({ runDir: run, name: "iris", bump: "minor", now: NOW }),
    ]);

    expect(results.map((r) => r.outcome).sort()).toEqual(["already-registered", "created"]);
    expect(results.map((r) => r.version.version)).toEqual(["1.0.0", "1.0.0"]);
    expect(await tags(repo)).toEqual(["model/iris/v1.0.0"]);
  });

  it("gives parallel registrations of different runs distinct versions", async () => {
    const repo = await makeRepo();
    const runs = await Promise.all(["r1", "r2", "r3"].map((runId) => makeRunDir({ runId })));
    const registries = await Promise.all(runs.map(() => open(repo)));

    const results = await Promise.all(
      runs.map((runDir, i) =>
        (registries[i] as Registry).register({ runDir, name: "iris", bump: "minor", now: NOW }),
      ),
    );

    expect(results.map((r) => r.version.version).sort()).toEqual(["1.0.0", "1.1.0", "1.2.0"]);
    expect(new Set(results.map((r) => r.version.runId))).toEqual(new Set(["r1", "r2", "r3"]));
  });

  it("waits while another writer holds the new tag's lock, then registers", async () => {
    const repo = await makeRepo();
    const [r1, r2] = (await Promise.all(["r1", "r2"].map((runId) => makeRunDir({ runId })))) as [
      string,
      string,
    ];
    const [a, b] = await Promise.all([open(repo), open(repo)]);
    // The lock git takes while it writes a ref, held here as a writer mid-update would hold it.
    const lock = join(repo, ".git", "refs", "tags", "model", "iris", "v1.0.0.lock");
    await mkdir(dirname(lock), { recursive: true });
    await writeFile(lock, "");
    const first = a.register({ runDir: r1, name: "iris", bump: "minor", now: NOW });
    // Long enough for the first registration to reach the tag and wait, short of its 2 s patience.
    await new Promise((r) => setTimeout(r, 1_200));
    await rm(lock);
    const second = await b.register({ runDir: r2, name: "iris", bump: "minor", now: NOW });
    const results = [await first, second];

    expect(results.map((r) => r.outcome)).toEqual(["created", "created"]);
    expect(results.map((r) => r.version.version).sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(await tags(repo)).toEqual(["model/iris/v1.0.0", "model/iris/v1.1.0"]);
  });

  it("names the stale lock when a tag's lock never goes, and writes no tag", async () => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "r1" });
    const lock = join(repo, ".git", "refs", "tags", "model", "iris", "v1.0.0.lock");
    await mkdir(dirname(lock), { recursive: true });
    await writeFile(lock, "");
    const err = await (
      await open(repo)
    )
      .register({ runDir: run, name: "iris", bump: "minor", now: NOW })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe("ref-locked");
    expect((err as ModelshipError).message).toContain("v1.0.0.lock");
    expect(await tags(repo)).toEqual([]);
  });

  it.each([
    [
      "the same run with other files",
      { runId: "run-1", model: Buffer.from("retrained") },
      "minor",
      "run-artifacts-changed",
    ],
    ["a lower explicit version", { runId: "run-2" }, { exact: "0.9.0" }, "version-not-greater"],
    ["a taken explicit version", { runId: "run-2" }, { exact: "1.0.0" }, "version-taken"],
    ["an explicit version that is not semver", { runId: "run-2" }, { exact: "1.0" }, "invalid-version"],
    [
      "another version for a registered run",
      { runId: "run-1" },
      { exact: "2.0.0" },
      "run-already-registered",
    ],
    ["a run trained for another model", { runId: "run-2", name: "wine" }, "minor", "model-name-mismatch"],
    [
      "a parent version that does not exist",
      { runId: "run-2", parent: "0.1.0" },
      "minor",
      "version-not-found",
    ],
  ] as const)("rejects %s and leaves no tag", async (_label, runOpts, bump, code) => {
    const repo = await makeRepo();
    const registry = await open(repo);
    await registry.register({
      runDir: await makeRunDir({ runId: "run-1" }),
      name: "iris",
      bump: "minor",
      now: NOW,
    });
    const { parent, ...rest } = { parent: undefined, ...runOpts } as typeof runOpts & { parent?: string };
    const run = await makeRunDir(rest);

    const err = registry.register({
      runDir: run,
      name: "iris",
      bump: typeof bump === "string" ? bump : { ...bump },
      ...(parent !== undefined ? { parentVersion: parent } : {}),
      now: NOW,
    });

    expect(await codeOf(err)).toBe(code);
    expect(await tags(repo)).toEqual(["model/iris/v1.0.0"]);
  });

  it.each([
    ["run.json that does not match the schema", { "run.json": '{"schemaVersion": 2}' }, "run-record-invalid"],
    ["run.json that is not JSON", { "run.json": "{" }, "run-file-invalid-json"],
  ])("rejects a run directory with %s", async (_label, files, code) => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "run-1" });
    for (const [path, text] of Object.entries(files)) await writeFile(join(run, path), text);

    expect(
      await codeOf((await open(repo)).register({ runDir: run, name: "iris", bump: "minor", now: NOW })),
    ).toBe(code);
    expect(await tags(repo)).toEqual([]);
  });

  it("refuses a run whose training failed (e.g. ONNX parity) and writes no tag", async () => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "run-1" });
    const record = JSON.parse(await readFile(join(run, "run.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(run, "run.json"), JSON.stringify({ ...record, status: "failed" }));

    const err = (await open(repo)).register({ runDir: run, name: "iris", bump: "minor", now: NOW });

    expect(await codeOf(err)).toBe("run-failed");
    expect(await tags(repo)).toEqual([]);
  });

  it("rejects a run directory without a model", async () => {
    const repo = await makeRepo();
    const run = await makeRunDir({ runId: "run-1" });
    await rm(join(run, "model"), { recursive: true });

    const err = (await open(repo)).register({ runDir: run, name: "iris", bump: "minor", now: NOW });

    expect(await codeOf(err)).toBe("run-dir-incomplete");
  });

  it("bumps from the latest version and records the parent", async () => {
    const repo = await makeRepo();
    const registry = await open(repo);
    const steps = [
      ["r1", "minor", "1.0.0", null],
      ["r2", "minor", "1.1.0", "1.0.0"],
      ["r3", "patch", "1.1.1", "1.1.0"],
      ["r4", "major", "2.0.0", "1.1.1"],
      ["r5", { exact: "2.5.0" }, "2.5.0", "2.0.0"],
      ["r6", "patch", "2.5.1", "2.5.0"],
    ] as const;
    for (const [runId, bump, expected, parent] of steps) {
      const { version } = await registry.register({
        runDir: await makeRunDir({ runId }),
        name: "iris",
        bump: typeof bump === "string" ? bump : { ...bump },
        now: NOW,
      });
      expect([version.version, version.lineage.parentVersion]).toEqual([expected, parent]);
    }

    expect((await registry.list("iris")).map((v) => v.version)).toEqual([
      "2.5.1",
      "2.5.0",
      "2.0.0",
      "1.1.1",
      "1.1.0",
      "1.0.0",
    ]);
    expect((await registry.latest("iris"))?.version).toBe("2.5.1");
    expect(await registry.latest("wine")).toBeUndefined();
    expect(await registry.get("iris", "3.0.0")).toBeUndefined();
  });

  it("keeps models apart and lists every model", async () => {
    const repo = await makeRepo();
    const registry = await open(repo);
    await registry.register({
      runDir: await makeRunDir({ runId: "a" }),
      name: "iris",
      bump: "minor",
      now: NOW,
    });
    await registry.register({
      runDir: await makeRunDir({ runId: "b", name: "wine" }),
      name: "wine",
      bump: "minor",
      now: NOW,
    });
    await registry.register({
      runDir: await makeRunDir({ runId: "c", name: "wine" }),
      name: "wine",
      bump: "minor",
      now: NOW,
    });

    expect((await registry.list()).map((v) => `${v.name}@${v.version}`)).toEqual([
      "iris@1.0.0",
      "wine@1.1.0",
      "wine@1.0.0",
    ]);
    expect((await registry.list("iris")).map((v) => v.version)).toEqual(["1.0.0"]);
  });

  it("never reuses a version held by a tag it did not make", async () => {
    const repo = await makeRepo({ commit: true });
    await git(repo, ["tag", "model/iris/v1.0.0"]);
    const registry = await open(repo);

    const { version } = await registry.register({
      runDir: await makeRunDir({ runId: "r1" }),
      name: "iris",
      bump: "patch",
      now: NOW,
    });

    expect(version.version).toBe("1.0.1");
    expect((await registry.list("iris")).map((v) => v.version)).toEqual(["1.0.1"]);
    expect(await codeOf(registry.get("iris", "1.0.0"))).toBe("registry-metadata-invalid");
  });
});

describe("a tag format without {name}", () => {
  it("gives all models one series of versions", async () => {
    const repo = await makeRepo();
    const registry = await openGitRegistry({ repoDir: repo, tagFormat: "v{version}" });
    await registry.register({
      runDir: await makeRunDir({ runId: "a" }),
      name: "iris",
      bump: "minor",
      now: NOW,
    });

    const { version } = await registry.register({
      runDir: await makeRunDir({ runId: "b", name: "wine" }),
      name: "wine",
      bump: "minor",
      now: NOW,
    });

    expect([version.version, version.tag, version.lineage.parentVersion]).toEqual(["1.1.0", "v1.1.0", null]);
    expect(await registry.get("wine", "1.0.0")).toBeUndefined();
    expect((await registry.list()).map((v) => `${v.name}@${v.version}`)).toEqual([
      "iris@1.0.0",
      "wine@1.1.0",
    ]);
  });
});

describe("open", () => {
  it.each([
    ["a tag format that cannot be parsed back", { tagFormat: "{name}{version}" }, "invalid-tag-format"],
    ["a directory that is not a repository", { tagFormat: TAG_FORMAT, plain: true }, "not-a-git-repository"],
  ])("rejects %s", async (_label, opts, code) => {
    const dir = "plain" in opts ? await tempDir() : await makeRepo();
    expect(await codeOf(openGitRegistry({ repoDir: dir, tagFormat: opts.tagFormat }))).toBe(code);
  });
});

describe("materialize", () => {
  async function registered() {
    const repo = await makeRepo();
    const run = await makeRunDir({
      runId: "run-1",
      model: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)),
      extraFiles: { "checkpoints/epoch-1.bin": Buffer.from([0, 0, 1]) },
    });
    const registry = await open(repo);
    await registry.register({ runDir: run, name: "iris", bump: "minor", now: NOW });
    return { repo, run, registry };
  }

  async function filesOf(dir: string): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile())
        out.set(join(e.parentPath, e.name).slice(dir.length + 1), await readFile(join(e.parentPath, e.name)));
    }
    return out;
  }

  it("writes back a byte-identical run directory", async () => {
    const { run, registry } = await registered();
    const dest = join(await tempDir(), "out", "iris");

    const { dir, version } = await registry.materialize("iris", "v1.0.0", dest);

    expect(dir).toBe(dest);
    expect(version.version).toBe("1.0.0");
    expect(await filesOf(dest)).toEqual(await filesOf(run));
    expect((await registry.verify("iris", "1.0.0")).ok).toBe(true);
  });

  it("fills an existing empty directory and refuses a non-empty one", async () => {
    const { registry } = await registered();
    const empty = await tempDir();
    const full = await tempDir();
    await writeFile(join(full, "keep.txt"), "mine");

    await registry.materialize("iris", "1.0.0", empty);

    expect((await readdir(empty)).sort()).toContain("run.json");
    expect(await codeOf(registry.materialize("iris", "1.0.0", full))).toBe("destination-not-empty");
    expect(await readdir(full)).toEqual(["keep.txt"]);
    expect(await codeOf(registry.materialize("iris", "9.0.0", join(empty, "x")))).toBe("version-not-found");
  });

  /** Forges `model/iris/v<version>` from the real 1.0.0 tag, altering its metadata or its tree. */
  async function forge(
    repo: string,
    version: string,
    change: { metadata?: (m: Record<string, unknown>) => void; files?: Record<string, string> },
  ): Promise<void> {
    const body = await git(repo, [
      "for-each-ref",
      "--format=%(contents:body)",
      "refs/tags/model/iris/v1.0.0",
    ]);
    const metadata = JSON.parse(body) as Record<string, unknown>;
    metadata["version"] = version;
    change.metadata?.(metadata);
    let commit = await git(repo, ["rev-parse", "model/iris/v1.0.0^{commit}"]);
    if (change.files) {
      const index = join(await tempDir(), "index");
      const env = { ...process.env, GIT_INDEX_FILE: index };
      const { execFileSync } = await import("node:child_process");
      execFileSync("git", ["read-tree", commit], { cwd: repo, env });
      for (const [path, text] of Object.entries(change.files)) {
        const blob = await git(repo, ["hash-object", "-w", "--stdin"], text);
        execFileSync("git", ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], {
          cwd: repo,
          env,
        });
      }
      const tree = execFileSync("git", ["write-tree"], { cwd: repo, env }).toString().trim();
      commit = await git(repo, ["commit-tree", tree, "-m", "forged"]);
    }
    const tagObject = await git(
      repo,
      ["mktag"],
      `object ${commit}\ntype commit\ntag model/iris/v${version}\ntagger Mallory <m@example.com> 1700000000 +0000\n\nmodelship: forged\n\n${JSON.stringify(metadata)}\n`,
    );
    await git(repo, ["update-ref", `refs/tags/model/iris/v${version}`, tagObject]);
  }

  it.each([
    [
      "a manifest digest that does not match the stored model",
      {
        metadata: (m: Record<string, unknown>) => {
          const a = (m["artifacts"] as Array<{ path: string; sha256: string }>).find(
            (x) => x.path === "model/model.onnx",
          );
          if (a) a.sha256 = "0".repeat(64);
        },
      },
    ],
    ["model bytes replaced behind the manifest", { files: { "model/model.onnx": "evil weights" } }],
    ["a file added behind the manifest", { files: { "model/extra.py": "import os" } }],
    [
      "a file dropped from the manifest",
      {
        metadata: (m: Record<string, unknown>) => {
          m["artifacts"] = (m["artifacts"] as Array<{ path: string }>).filter(
            (x) => x.path !== "MODEL_CARD.md",
          );
        },
      },
    ],
  ])("detects %s and writes nothing", async (_label, change) => {
    const { repo, registry } = await registered();
    await forge(repo, "6.6.6", change);
    const parent = await tempDir();
    const dest = join(parent, "iris");

    expect(await codeOf(registry.materialize("iris", "6.6.6", dest))).toBe("artifact-digest-mismatch");

    expect(await readdir(parent)).toEqual([]);
    const verdict = await registry.verify("iris", "6.6.6");
    expect(verdict.ok ? [] : verdict.problems.map((p) => p.code)).toContain("artifact-digest-mismatch");
    expect((await registry.verify("iris", "1.0.0")).ok).toBe(true);
  });
});

describe("aliases", () => {
  async function withVersions(n: number) {
    const repo = await makeRepo();
    const registry = await open(repo);
    for (let i = 1; i <= n; i++) {
      await registry.register({
        runDir: await makeRunDir({ runId: `r${i}` }),
        name: "iris",
        bump: "minor",
        now: NOW,
      });
    }
    return { repo, registry };
  }

  it("moves an alias, resolves it, and keeps its history", async () => {
    const { repo, registry } = await withVersions(3);

    expect(
      await registry.setAlias("iris", "production", "1.0.0", {
        now: new Date("2026-03-02T00:00:00Z"),
        reason: "first deploy",
        actor: "alice",
      }),
    ).toEqual({ previous: null });
    expect(
      await registry.setAlias("iris", "production", "1.1.0", {
        now: new Date("2026-03-03T00:00:00Z"),
        reason: "better accuracy",
      }),
    ).toEqual({ previous: "1.0.0" });
    expect(
      await registry.setAlias("iris", "production", "1.1.0", { now: new Date("2026-03-04T00:00:00Z") }),
    ).toEqual({ previous: "1.1.0" });
    await registry.setAlias("iris", "staging", "1.2.0", { now: NOW });

    expect((await registry.resolve("iris", "production"))?.version).toBe("1.1.0");
    expect((await registry.resolve("iris", "staging"))?.version).toBe("1.2.0");
    expect((await registry.resolve("iris", "latest"))?.version).toBe("1.2.0");
    expect((await registry.resolve("iris", "v1.0.0"))?.version).toBe("1.0.0");
    expect(await registry.resolve("iris", "canary")).toBeUndefined();
    expect((await registry.get("iris", "1.1.0"))?.aliases).toEqual(["production"]);
    expect((await registry.list("iris")).map((v) => [v.version, v.aliases])).toEqual([
      ["1.2.0", ["staging"]],
      ["1.1.0", ["production"]],
      ["1.0.0", []],
    ]);
    expect(await registry.aliasHistory("iris", "production")).toEqual([
      { version: "1.1.0", at: "2026-03-03T00:00:00.000Z", reason: "better accuracy" },
      { version: "1.0.0", at: "2026-03-02T00:00:00.000Z", reason: "first deploy", actor: "alice" },
    ]);
    expect(await registry.aliasHistory("iris", "canary")).toEqual([]);
    expect(await git(repo, ["for-each-ref", "--format=%(refname)", "refs/modelship/"])).toBe(
      "refs/modelship/aliases/iris/production\nrefs/modelship/aliases/iris/staging",
    );
  });

  it("removes an alias and records the removal", async () => {
    const { registry } = await withVersions(1);
    await registry.setAlias("iris", "staging", "1.0.0", { now: NOW });

    expect(await registry.setAlias("iris", "staging", null, { now: NOW, reason: "retired" })).toEqual({
      previous: "1.0.0",
    });

    expect(await registry.resolve("iris", "staging")).toBeUndefined();
    expect((await registry.get("iris", "1.0.0"))?.aliases).toEqual([]);
    expect((await registry.aliasHistory("iris", "staging")).map((e) => e.version)).toEqual([null, "1.0.0"]);
  });

  it.each([
    ["an upper-case alias", "Production", "1.0.0", "invalid-alias-name"],
    ["the reserved alias latest", "latest", "1.0.0", "invalid-alias-name"],
    ["a version that is not registered", "production", "4.0.0", "version-not-found"],
  ])("rejects %s", async (_label, alias, version, code) => {
    const { registry } = await withVersions(1);
    expect(await codeOf(registry.setAlias("iris", alias, version, { now: NOW }))).toBe(code);
  });

  it("loses no update when writers move an alias in parallel", async () => {
    const n = 6;
    const { repo, registry } = await withVersions(n);
    const writers = await Promise.all(Array.from({ length: n }, () => open(repo)));
    const versions = Array.from({ length: n }, (_, i) => `1.${i}.0`);

    const results = await Promise.all(
      versions.map((v, i) =>
        (writers[i] as Registry).setAlias("iris", "production", v, { now: NOW, actor: `writer-${i}` }),
      ),
    );

    const history = await registry.aliasHistory("iris", "production");
    expect(history).toHaveLength(n);
    expect(history.map((e) => e.version).sort()).toEqual(versions);
    // Each writer saw the alias as the previous writer left it: one of them saw it unset.
    expect(results.filter((r) => r.previous === null)).toHaveLength(1);
    expect((await registry.resolve("iris", "production"))?.version).toBe(history[0]?.version);
  });
});

describe("sharing through a remote", () => {
  it("pushes tags and alias refs, and reads them from another clone", async () => {
    const origin = await makeRepo({ bare: true });
    const repo = await makeRepo({ commit: true });
    const registry = await open(repo);
    await registry.register({
      runDir: await makeRunDir({ runId: "r1" }),
      name: "iris",
      bump: "minor",
      now: NOW,
    });
    await registry.setAlias("iris", "production", "1.0.0", { now: NOW, reason: "ship it" });
    await git(repo, ["remote", "add", "origin", origin]);

    await git(repo, ["push", "-q", "origin", "main", "refs/tags/model/*", "refs/modelship/*"]);
    const clone = join(await tempDir(), "clone");
    await git(await tempDir(), ["clone", "-q", origin, clone]);
    await git(clone, ["fetch", "-q", "origin", "refs/modelship/*:refs/modelship/*"]);

    const other = await open(clone);
    expect((await other.resolve("iris", "production"))?.version).toBe("1.0.0");
    expect((await other.aliasHistory("iris", "production"))[0]?.reason).toBe("ship it");
    const dest = join(await tempDir(), "iris");
    await other.materialize("iris", "1.0.0", dest);
    expect(JSON.parse(await readFile(join(dest, "run.json"), "utf8")).runId).toBe("r1");
  });
});
