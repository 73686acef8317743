import { describe, expect, it } from "vitest";
import { decideRegistration, type RegisteredRun } from "../../../core/registry/decide-registration.ts";

const art = (path: string, sha: string) => ({ path, sha256: sha.repeat(64).slice(0, 64), bytes: 10 });
const files = [art("run.json", "a"), art("model/model.onnx", "b")];
const registered: RegisteredRun[] = [
  { version: "1.0.0", runId: "r1", artifacts: [art("run.json", "1"), art("model/model.onnx", "2")] },
  { version: "1.1.0", runId: "r2", artifacts: files },
];

describe("decideRegistration", () => {
  it.each([
    [
      "a new run, minor bump",
      { runId: "r3", bump: "minor" },
      { kind: "create", version: "1.2.0", parentVersion: "1.1.0" },
    ],
    [
      "a new run, major bump",
      { runId: "r3", bump: "major" },
      { kind: "create", version: "2.0.0", parentVersion: "1.1.0" },
    ],
    [
      "a new run, patch bump",
      { runId: "r3", bump: "patch" },
      { kind: "create", version: "1.1.1", parentVersion: "1.1.0" },
    ],
    [
      "a new run, explicit version",
      { runId: "r3", bump: { exact: "v3.0.0" } },
      { kind: "create", version: "3.0.0" },
    ],
    [
      "a new run, explicit parent",
      { runId: "r3", bump: "patch", parentVersion: "1.0.0" },
      { kind: "create", parentVersion: "1.0.0" },
    ],
    [
      "a new run, no parent",
      { runId: "r3", bump: "patch", parentVersion: null },
      { kind: "create", parentVersion: null },
    ],
    ["the same run and files", { runId: "r2", bump: "major" }, { kind: "existing", version: "1.1.0" }],
    [
      "the same run, its own version asked",
      { runId: "r2", bump: { exact: "1.1.0" } },
      { kind: "existing", version: "1.1.0" },
    ],
    [
      "the same run, another version asked",
      { runId: "r2", bump: { exact: "2.0.0" } },
      { kind: "reject", problem: { code: "run-already-registered" } },
    ],
    [
      "the same run with other files",
      { runId: "r1", bump: "minor" },
      { kind: "reject", problem: { code: "run-artifacts-changed" } },
    ],
    [
      "a taken version",
      { runId: "r3", bump: { exact: "1.0.0" } },
      { kind: "reject", problem: { code: "version-taken" } },
    ],
    [
      "a lower version",
      { runId: "r3", bump: { exact: "1.0.9" } },
      { kind: "reject", problem: { code: "version-not-greater" } },
    ],
    [
      "an unknown parent",
      { runId: "r3", bump: "minor", parentVersion: "0.9.0" },
      { kind: "reject", problem: { code: "version-not-found" } },
    ],
  ] as const)("%s", (_label, input, expected) => {
    expect(
      decideRegistration({
        name: "iris",
        artifacts: files,
        registered,
        ...input,
        bump: typeof input.bump === "string" ? input.bump : { ...input.bump },
      }),
    ).toMatchObject(expected);
  });

  it("starts at 1.0.0 with no parent", () => {
    expect(
      decideRegistration({ name: "iris", runId: "r1", artifacts: files, bump: "major", registered: [] }),
    ).toEqual({
      kind: "create",
      version: "1.0.0",
      parentVersion: null,
    });
  });

  it("skips versions held by tags that are not registry versions", () => {
    const d = decideRegistration({
      name: "iris",
      runId: "r3",
      artifacts: files,
      bump: "minor",
      registered,
      occupied: ["1.4.0"],
    });
    expect(d).toMatchObject({ kind: "create", version: "1.5.0", parentVersion: "1.1.0" });
  });

  it("names the files that changed", () => {
    const d = decideRegistration({ name: "iris", runId: "r1", artifacts: files, bump: "minor", registered });
    expect(d.kind === "reject" && d.problem.message).toContain("model/model.onnx, run.json");
  });
});
