import { describe, expect, it } from "vitest";
import {
  assetNames,
  parseReleaseBody,
  renderReleaseBody,
  renderSha256Sums,
  RELEASE_BODY_LIMIT,
  RELEASE_RECORD_FORMAT,
  type ReleaseRecord,
} from "../../../core/github/release-body.ts";
import { capText } from "../../../core/github/cap-text.ts";
import {
  lockRefFor,
  parseLockMessage,
  refComponent,
  renderLockMessage,
  DEPLOY_LOCK_FORMAT,
} from "../../../core/github/deploy-lock.ts";
import { checkRefFormat } from "../../../core/version/check-ref-format.ts";
import { VERSION_METADATA_FORMAT } from "../../../core/registry/version-metadata.ts";

const digest = "a".repeat(64);
function record(params: Record<string, unknown> = {}): ReleaseRecord {
  const paths = ["run.json", "model/model.onnx"];
  return {
    format: RELEASE_RECORD_FORMAT,
    metadata: {
      format: VERSION_METADATA_FORMAT,
      name: "iris",
      version: "1.2.0",
      createdAt: "2026-03-01T12:00:00.000Z",
      runId: "run-1",
      metrics: { accuracy: 0.97 },
      params,
      dataFingerprint: "sha256:feed",
      lineage: { commit: null, branch: null, runId: "run-1", parentVersion: "1.1.0", pr: 3 },
      artifacts: paths.map((path) => ({ path, sha256: digest, bytes: 10 })),
    },
    assets: assetNames(paths),
  };
}

describe("release body", () => {
  it("round-trips the record after the card", () => {
    const r = renderReleaseBody("# Model card: iris 1.2.0\n", record());
    if (!r.ok) throw new Error(r.message);
    expect(r.body.startsWith("# Model card: iris 1.2.0\n\n<!-- modelship:version")).toBe(true);
    expect(parseReleaseBody(r.body)).toEqual({ ok: true, record: record() });
  });

  it("keeps a run's strings from closing the hidden block", () => {
    const hostile = { note: "--> <img src=x onerror=alert(1)> <!-- modelship:version" };
    const r = renderReleaseBody("card", record(hostile));
    if (!r.ok) throw new Error(r.message);
    const block = r.body.slice(r.body.indexOf("<!--"));
    expect(block.match(/-->/g)).toHaveLength(1);
    expect(block).not.toContain("<img");
    expect(parseReleaseBody(r.body)).toEqual({ ok: true, record: record(hostile) });
  });

  it("cuts a long card to fit GitHub's limit and keeps the record whole", () => {
    const r = renderReleaseBody("x".repeat(200_000), record());
    if (!r.ok) throw new Error(r.message);
    expect(r.body.length).toBeLessThanOrEqual(RELEASE_BODY_LIMIT);
    expect(parseReleaseBody(r.body).ok).toBe(true);
  });

  it.each([
    [null, "no body"],
    ["just a card", "no modelship:version block"],
    ["<!-- modelship:version\n{}\n-->", "invalid"],
    ["<!-- modelship:version\nnot json\n-->", "not JSON"],
  ])("says why %j is not a version", (body, why) => {
    const r = parseReleaseBody(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(why);
  });

  it.each([
    [["run.json", "model/model.onnx"], { "run.json": "run.json", "model/model.onnx": "model.model.onnx" }],
    [["a/b.c", "a.b.c"], { "a.b.c": "a.b.c", "a/b.c": "2-a.b.c" }],
    [
      ["SHA256SUMS", ".hidden", "x y/z"],
      { SHA256SUMS: "2-SHA256SUMS", ".hidden": "hidden", "x y/z": "x-y.z" },
    ],
  ])("names assets for %j without clashes", (paths, expected) => {
    expect(assetNames(paths)).toEqual(expected);
  });

  it("writes SHA256SUMS in sha256sum -c format", () => {
    expect(renderSha256Sums(record().metadata, record().assets)).toBe(
      `${digest}  model.model.onnx\n${digest}  run.json\n`,
    );
  });
});

describe("capText", () => {
  it.each([
    ["short", 10, "short"],
    ["x".repeat(100), 50, `${"x".repeat(35)}\n\n… (truncated)`],
  ])("caps %j at %i", (text, max, expected) => {
    expect(capText(text, max)).toBe(expected);
    expect(capText(text, max).length).toBeLessThanOrEqual(max);
  });

  it("does not split a surrogate pair", () => {
    const out = capText(`${"x".repeat(34)}😀${"y".repeat(30)}`, 50);
    expect(out.startsWith("x".repeat(34) + "\n")).toBe(true);
  });
});

describe("deploy lock", () => {
  it("round-trips the lock message", () => {
    const lock = {
      format: DEPLOY_LOCK_FORMAT,
      environment: "production",
      actor: "alice",
      reason: "deploy",
      createdAt: "2026-01-01T00:00:00.000Z",
      sha: "abc",
    } as const;
    expect(parseLockMessage(renderLockMessage(lock))).toEqual(lock);
    expect(parseLockMessage("hand-made commit")).toBeUndefined();
  });

  it.each(["production", "staging", "EU West/1", "a..b", "x.lock", "-", "日本"])(
    "makes a valid, distinct ref for %j",
    (env) => {
      expect(checkRefFormat(lockRefFor(env))).toBeUndefined();
      expect(refComponent(env)).not.toContain("/");
    },
  );

  it("never maps two names to one ref", () => {
    const names = ["EU West/1", "EU West 1", "EU-West-1", "eu west 1"];
    expect(new Set(names.map(refComponent)).size).toBe(names.length);
  });
});
