import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openGitHubReleasesRegistry } from "../../../adapters/github/releases-registry.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { parseReleaseBody } from "../../../core/github/release-body.ts";
import type { Registry } from "../../../core/registry/registry-port.ts";
import { ALIAS_EVENT_FORMAT, renderAliasMessage } from "../../../core/registry/alias-event.ts";
import {
  addCommit,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../../support/fake-github/fake-github.ts";
import { makeRunDir } from "../registry-git/git-fixtures.ts";
import { CLIENTS, actionsClient } from "./github-clients.ts";

let gh: FakeGitHub;
const now = new Date("2026-03-01T12:00:00Z");
const TAGS = "model/{name}/v{version}";

beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(() => gh.close());

let repoCount = 0;
async function open(kind: "probot" | "actions" = "actions"): Promise<{ registry: Registry; repo: FakeRepo }> {
  const repo = gh.repo("acme", `registry-${++repoCount}`);
  const make = CLIENTS.find(([k]) => k === kind)?.[1] ?? actionsClient;
  const registry = await openGitHubReleasesRegistry(make(gh), {
    owner: "acme",
    repo: repo.name,
    tagFormat: TAGS,
    raceWaitMs: 50,
  });
  return { registry, repo };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ModelshipError)) throw new Error(`expected a ModelshipError, got ${String(err)}`);
  return err.code;
}

async function emptyDir(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "modelship-materialize-")), "out");
}

describe("GitHub Releases registry", () => {
  it.each(["probot", "actions"] as const)(
    "registers, lists, materializes and verifies a version (%s client)",
    async (kind) => {
      const { registry, repo } = await open(kind);
      const runDir = await makeRunDir({ runId: "run-1", commit: "9f3c".padEnd(40, "0"), branch: "main" });
      const before = gh.calls.length;
      const result = await registry.register({ runDir, name: "iris", bump: "minor", pr: 12, now });
      expect(result.outcome).toBe("created");
      expect(result.version).toMatchObject({
        name: "iris",
        version: "1.0.0",
        tag: "model/iris/v1.0.0",
        runId: "run-1",
        lineage: { pr: 12, parentVersion: null },
      });

      // The release: published, body = card + metadata block, assets = files + SHA256SUMS.
      const release = repo.releases[0];
      expect(release).toMatchObject({ tagName: "model/iris/v1.0.0", draft: false });
      expect(release?.body).toContain("# Model card: iris 1.0.0");
      const parsed = parseReleaseBody(release?.body);
      expect(parsed.ok && parsed.record.metadata.artifacts.map((a) => a.path)).toEqual([
        "MODEL_CARD.md",
        "metrics.json",
        "model/model.onnx",
        "model/preprocess.json",
        "params.json",
        "run.json",
      ]);
      expect(release?.assets.map((a) => a.name).sort()).toEqual([
        "MODEL_CARD.md",
        "SHA256SUMS",
        "metrics.json",
        "model.model.onnx",
        "model.preprocess.json",
        "params.json",
        "run.json",
      ]);
      expect(repo.refs["refs/tags/model/iris/v1.0.0"]).toBe(repo.refs["refs/heads/main"]);
      const ops = gh.calls.slice(before).map((c) => c.operationId);
      expect(ops.indexOf("git/create-ref")).toBeLessThan(ops.indexOf("repos/create-release"));
      expect(ops.filter((o) => o === "repos/upload-release-asset")).toHaveLength(7);
      expect(ops.at(-1)).toBe("repos/update-release");

      expect((await registry.list("iris")).map((v) => v.version)).toEqual(["1.0.0"]);
      expect((await registry.latest("iris"))?.version).toBe("1.0.0");
      expect((await registry.get("iris", "v1.0.0"))?.runId).toBe("run-1");
      expect(await registry.get("iris", "2.0.0")).toBeUndefined();

      const dest = await emptyDir();
      const { dir } = await registry.materialize("iris", "1.0.0", dest);
      for (const path of ["run.json", "model/model.onnx", "MODEL_CARD.md"]) {
        expect(await readFile(join(dir, path))).toEqual(await readFile(join(runDir, path)));
      }
      expect((await registry.verify("iris", "1.0.0")).ok).toBe(true);
      expect(gh.invalid).toEqual([]);
    },
  );

  it("is idempotent: the same run again creates nothing; a new run gets the next version", async () => {
    const { registry, repo } = await open();
    const runDir = await makeRunDir({ runId: "run-a" });
    await registry.register({ runDir, name: "iris", bump: "minor", now });
    const before = gh.calls.length;
    const again = await registry.register({ runDir, name: "iris", bump: "minor", now });
    expect(again.outcome).toBe("already-registered");
    const writes = gh.calls.slice(before).filter((c) => c.method !== "GET");
    expect(writes).toEqual([]);
    expect(repo.releases).toHaveLength(1);

    const second = await registry.register({
      runDir: await makeRunDir({ runId: "run-b", metrics: { accuracy: 0.95, loss: 0.2 } }),
      name: "iris",
      bump: "minor",
      now,
    });
    expect(second.version).toMatchObject({ version: "1.1.0", lineage: { parentVersion: "1.0.0" } });
    expect((await registry.list("iris")).map((v) => v.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(
      await codeOf(
        registry.register({
          runDir: await makeRunDir({ runId: "run-a", model: Buffer.from("changed") }),
          name: "iris",
          bump: "minor",
          now,
        }),
      ),
    ).toBe("run-artifacts-changed");
    expect(gh.invalid).toEqual([]);
  });

  it("never reuses a version held by a tag it did not make, and survives losing the tag race", async () => {
    const { registry, repo } = await open();
    repo.refs["refs/tags/model/iris/v1.0.0"] = repo.refs["refs/heads/main"] ?? "";
    const first = await registry.register({
      runDir: await makeRunDir({ runId: "run-x" }),
      name: "iris",
      bump: "patch",
      now,
    });
    expect(first.version.version).toBe("1.0.1");
    // Another registrar takes 1.0.2 between our scan and our tag.
    gh.state.hooks.onRequest = ({ operationId, body }) => {
      if (
        operationId === "git/create-ref" &&
        (body as { ref: string }).ref === "refs/tags/model/iris/v1.0.2"
      ) {
        repo.refs["refs/tags/model/iris/v1.0.2"] = repo.refs["refs/heads/main"] ?? "";
      }
    };
    try {
      const second = await registry.register({
        runDir: await makeRunDir({ runId: "run-y" }),
        name: "iris",
        bump: "patch",
        now,
      });
      expect(second.version.version).toBe("1.0.3");
    } finally {
      delete gh.state.hooks.onRequest;
    }
    expect(
      gh
        .callsTo("git/create-ref")
        .slice(-2)
        .map((c) => [(c.body as { ref: string }).ref, c.status]),
    ).toEqual([
      ["refs/tags/model/iris/v1.0.2", 422],
      ["refs/tags/model/iris/v1.0.3", 201],
    ]);
    expect(repo.releases.map((r) => r.tagName)).toEqual(["model/iris/v1.0.1", "model/iris/v1.0.3"]);
  });

  it("finishes a registration that stopped before publishing, uploading only what is missing", async () => {
    const { registry, repo } = await open();
    const runDir = await makeRunDir({ runId: "run-half" });
    await registry.register({ runDir, name: "iris", bump: "major", now });
    const release = repo.releases[0];
    if (release === undefined) throw new Error("no release");
    // Roll back to a half-made state: a draft with only two assets.
    release.draft = true;
    release.publishedAt = null;
    release.assets = release.assets.filter((a) => a.name === "run.json" || a.name === "SHA256SUMS");
    expect(await registry.list("iris")).toEqual([]);
    const before = gh.calls.length;
    const result = await registry.register({ runDir, name: "iris", bump: "major", now });
    expect(result).toMatchObject({ outcome: "created", version: { version: "1.0.0" } });
    expect(gh.calls.slice(before).filter((c) => c.operationId === "repos/upload-release-asset")).toHaveLength(
      5,
    );
    expect(repo.releases).toHaveLength(1);
    expect((await registry.verify("iris", "1.0.0")).ok).toBe(true);
  });

  it.each([
    [
      "a replaced model file",
      (repo: FakeRepo) => {
        const asset = repo.releases[0]?.assets.find((a) => a.name === "model.model.onnx");
        if (asset) asset.data = Buffer.from("evil model");
      },
    ],
    [
      "an extra asset",
      (repo: FakeRepo) => {
        repo.releases[0]?.assets.push({
          ...(repo.releases[0]?.assets[0] as FakeRepo["releases"][number]["assets"][number]),
          id: 999_999,
          name: "backdoor.py",
        });
      },
    ],
    [
      "a missing asset",
      (repo: FakeRepo) => {
        const r = repo.releases[0];
        if (r) r.assets = r.assets.filter((a) => a.name !== "params.json");
      },
    ],
    [
      "an edited SHA256SUMS",
      (repo: FakeRepo) => {
        const asset = repo.releases[0]?.assets.find((a) => a.name === "SHA256SUMS");
        if (asset) asset.data = Buffer.from("0".repeat(64) + "  run.json\n");
      },
    ],
  ])("detects %s and writes nothing", async (_label, tamper) => {
    const { registry, repo } = await open();
    await registry.register({
      runDir: await makeRunDir({ runId: "run-t" }),
      name: "iris",
      bump: "minor",
      now,
    });
    tamper(repo);
    const dest = await emptyDir();
    expect(await codeOf(registry.materialize("iris", "1.0.0", dest))).toBe("artifact-digest-mismatch");
    expect(await readdir(join(dest, "..")).then((l) => l.filter((n) => !n.startsWith(".")))).toEqual([]);
    const verified = await registry.verify("iris", "1.0.0");
    expect(verified.ok).toBe(false);
  });

  it("reports a release whose metadata block was edited away", async () => {
    const { registry, repo } = await open();
    await registry.register({
      runDir: await makeRunDir({ runId: "run-e" }),
      name: "iris",
      bump: "minor",
      now,
    });
    const release = repo.releases[0];
    if (release) release.body = "# just a card";
    expect(await codeOf(registry.get("iris", "1.0.0"))).toBe("registry-metadata-invalid");
    expect(await registry.list("iris")).toEqual([]);
    // Its version stays taken.
    const next = await registry.register({
      runDir: await makeRunDir({ runId: "run-f" }),
      name: "iris",
      bump: "minor",
      now,
    });
    expect(next.version.version).toBe("1.1.0");
  });

  it.each([["a run of another model", { runId: "r", name: "penguins" }, "model-name-mismatch"]])(
    "refuses %s",
    async (_label, run, code) => {
      const { registry } = await open();
      expect(
        await codeOf(registry.register({ runDir: await makeRunDir(run), name: "iris", bump: "minor", now })),
      ).toBe(code);
    },
  );

  it("moves aliases with a history, resolves them, and records nothing for a no-op", async () => {
    const { registry, repo } = await open();
    await registry.register({ runDir: await makeRunDir({ runId: "r1" }), name: "iris", bump: "minor", now });
    await registry.register({ runDir: await makeRunDir({ runId: "r2" }), name: "iris", bump: "minor", now });
    const at = (m: number) => ({ now: new Date(now.getTime() + m * 60_000), actor: "alice" });
    expect(
      await registry.setAlias("iris", "production", "1.0.0", { ...at(1), reason: "first deploy" }),
    ).toEqual({ previous: null });
    expect(await registry.setAlias("iris", "production", "1.1.0", at(2))).toEqual({ previous: "1.0.0" });
    const refsBefore = gh.callsTo("git/update-ref").length;
    expect(await registry.setAlias("iris", "production", "1.1.0", at(3))).toEqual({ previous: "1.1.0" });
    expect(gh.callsTo("git/update-ref").length).toBe(refsBefore);
    await registry.setAlias("iris", "staging", "1.1.0", at(4));
    expect(await registry.setAlias("iris", "production", null, at(5))).toEqual({ previous: "1.1.0" });
    expect(await registry.setAlias("iris", "production", "1.0.0", { ...at(6), reason: "rollback" })).toEqual({
      previous: null,
    });

    expect((await registry.resolve("iris", "production"))?.version).toBe("1.0.0");
    expect((await registry.resolve("iris", "latest"))?.version).toBe("1.1.0");
    expect((await registry.resolve("iris", "v1.1.0"))?.aliases).toEqual(["staging"]);
    expect(await registry.resolve("iris", "canary")).toBeUndefined();
    expect(await registry.aliasHistory("iris", "production")).toEqual([
      { version: "1.0.0", at: at(6).now.toISOString(), actor: "alice", reason: "rollback" },
      { version: null, at: at(5).now.toISOString(), actor: "alice" },
      { version: "1.1.0", at: at(2).now.toISOString(), actor: "alice" },
      { version: "1.0.0", at: at(1).now.toISOString(), actor: "alice", reason: "first deploy" },
    ]);
    expect(repo.refs["refs/heads/modelship-alias/iris/production"]).toBeDefined();
    expect(await codeOf(registry.setAlias("iris", "latest", "1.0.0", at(7)))).toBe("invalid-alias-name");
    expect(await codeOf(registry.setAlias("iris", "production", "3.0.0", at(7)))).toBe("version-not-found");
    expect(gh.invalid).toEqual([]);
  });

  it("loses no alias move when two writers race (compare-and-swap on the ref)", async () => {
    const { registry, repo } = await open();
    await registry.register({ runDir: await makeRunDir({ runId: "r1" }), name: "iris", bump: "minor", now });
    await registry.register({ runDir: await makeRunDir({ runId: "r2" }), name: "iris", bump: "minor", now });
    // Another writer sets the alias between our read of its head and our create.
    let raced = false;
    gh.state.hooks.onRequest = ({ operationId, body }) => {
      const ref = (body as { ref?: string } | undefined)?.ref;
      if (raced || operationId !== "git/create-ref" || ref !== "refs/heads/modelship-alias/iris/production")
        return;
      raced = true;
      const message = renderAliasMessage({
        format: ALIAS_EVENT_FORMAT,
        name: "iris",
        alias: "production",
        version: "1.1.0",
        previous: null,
        at: now.toISOString(),
        actor: "b",
      });
      repo.refs[ref] = addCommit(repo, { message });
    };
    try {
      expect(await registry.setAlias("iris", "production", "1.0.0", { now, actor: "a" })).toEqual({
        previous: "1.1.0",
      });
    } finally {
      delete gh.state.hooks.onRequest;
    }
    expect(gh.callsTo("git/create-ref").at(-1)?.status).toBe(422);
    expect(gh.callsTo("git/update-ref").at(-1)?.status).toBe(200);
    const history = await registry.aliasHistory("iris", "production");
    expect(history.map((e) => [e.actor, e.version])).toEqual([
      ["a", "1.0.0"],
      ["b", "1.1.0"],
    ]);
    expect(gh.invalid).toEqual([]);
  });
});
