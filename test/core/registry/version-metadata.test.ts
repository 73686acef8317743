import { describe, expect, it } from "vitest";
import {
  VERSION_METADATA_FORMAT,
  parseVersionBody,
  renderVersionMessage,
  type VersionMetadata,
} from "../../../core/registry/version-metadata.ts";
import { checkAliasName, parseAliasMessage, renderAliasMessage } from "../../../core/registry/alias-event.ts";

const metadata: VersionMetadata = {
  format: VERSION_METADATA_FORMAT,
  name: "iris",
  version: "1.2.0",
  createdAt: "2026-03-01T12:00:00.000Z",
  runId: "r1",
  metrics: { accuracy: 0.97 },
  params: { epochs: 5, note: "ünïcode" },
  dataFingerprint: "sha256:abc",
  lineage: { commit: null, branch: "main", runId: "r1", parentVersion: "1.1.0", pr: 12 },
  artifacts: [{ path: "model/model.onnx", sha256: "f".repeat(64), bytes: 3 }],
};

describe("version metadata", () => {
  it("renders a subject line for git and parses the JSON body back", () => {
    const message = renderVersionMessage(metadata);
    expect(message.split("\n")[0]).toBe("modelship: iris 1.2.0 (run r1)");
    expect(parseVersionBody(message.slice(message.indexOf("\n\n") + 2))).toEqual({ ok: true, metadata });
  });

  it.each([
    ["not JSON", "{", "not JSON"],
    [
      "a bad digest",
      JSON.stringify({ ...metadata, artifacts: [{ path: "m", sha256: "xyz", bytes: 1 }] }),
      "artifacts.0.sha256",
    ],
    ["no artifacts", JSON.stringify({ ...metadata, artifacts: [] }), "artifacts"],
    ["another format", JSON.stringify({ ...metadata, format: "other/1" }), "format"],
  ])("rejects %s", (_label, body, where) => {
    const r = parseVersionBody(body);
    expect(r.ok ? "" : r.message).toContain(where);
  });
});

describe("alias events", () => {
  it("round-trips through a commit message", () => {
    const e = {
      format: "modelship.alias/1" as const,
      name: "iris",
      alias: "production",
      version: null,
      previous: "1.0.0",
      at: "2026-03-01T00:00:00.000Z",
      actor: "bob",
    };
    const message = renderAliasMessage(e);
    expect(message.split("\n")[0]).toBe("modelship: iris production -> (removed)");
    expect(parseAliasMessage(message)).toEqual(e);
    expect(parseAliasMessage("some commit\n\nnot json")).toBeUndefined();
  });

  it.each([
    ["production", undefined],
    ["canary-2", undefined],
    ["Production", "lower-case"],
    ["prod_1", "lower-case"],
    ["", "lower-case"],
    ["latest", "reserved"],
  ])("alias name %j → %s", (alias, problem) => {
    const why = checkAliasName(alias);
    if (problem === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(problem);
  });
});
