import { describe, expect, it } from "vitest";
import { checkExplicitVersion, nextVersion, type Bump } from "../../../core/version/next-version.ts";

describe("nextVersion", () => {
  it.each<[string | undefined, Bump, string]>([
    [undefined, "major", "1.0.0"],
    [undefined, "minor", "1.0.0"],
    [undefined, "patch", "1.0.0"],
    ["1.2.3", "major", "2.0.0"],
    ["1.2.3", "minor", "1.3.0"],
    ["1.2.3", "patch", "1.2.4"],
    ["1.2.3+build.7", "patch", "1.2.4"],
    ["2.0.0-rc.1", "major", "2.0.0"],
    ["2.1.0-rc.1", "major", "3.0.0"],
    ["1.2.0-rc.1", "minor", "1.2.0"],
    ["1.2.3-rc.1", "minor", "1.3.0"],
    ["1.2.3-rc.1", "patch", "1.2.3"],
  ])("%s + %s → %s", (latest, bump, expected) => {
    expect(nextVersion(latest, bump)).toBe(expected);
  });
});

describe("checkExplicitVersion", () => {
  const existing = ["1.0.0", "1.1.0", "2.0.0-rc.1"];
  it.each([
    ["2.0.0", { ok: true, version: "2.0.0" }],
    ["v3.1.4", { ok: true, version: "3.1.4" }],
    ["2.0.0-rc.2", { ok: true, version: "2.0.0-rc.2" }],
    ["1.1.0", { ok: false, code: "version-taken" }],
    ["1.1.0+rebuild", { ok: false, code: "version-taken" }],
    ["1.0.5", { ok: false, code: "version-not-greater" }],
    ["2.0.0-beta", { ok: false, code: "version-not-greater" }],
    ["2", { ok: false, code: "invalid-version" }],
    ["latest", { ok: false, code: "invalid-version" }],
  ])("%s against 1.0.0, 1.1.0, 2.0.0-rc.1 → %o", (requested, expected) => {
    expect(checkExplicitVersion(requested, existing)).toMatchObject(expected);
  });

  it("accepts any valid version for the first registration", () => {
    expect(checkExplicitVersion("0.1.0", [])).toEqual({ ok: true, version: "0.1.0" });
  });
});
