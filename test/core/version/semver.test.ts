import { describe, expect, it } from "vitest";
import {
  compareVersions,
  formatSemver,
  highestVersion,
  normalizeVersion,
  parseSemver,
} from "../../../core/version/semver.ts";

describe("parseSemver / formatSemver", () => {
  it.each([
    ["1.2.3", "1.2.3"],
    ["0.0.0", "0.0.0"],
    ["10.20.30-rc.1", "10.20.30-rc.1"],
    ["1.0.0-alpha.beta+exp.sha.5114f85", "1.0.0-alpha.beta+exp.sha.5114f85"],
    ["1.0.0+20130313144700", "1.0.0+20130313144700"],
  ])("round-trips %s", (text, expected) => {
    const v = parseSemver(text);
    expect(v && formatSemver(v)).toBe(expected);
  });

  it.each([
    "1.2",
    "1.2.3.4",
    "01.2.3",
    "1.02.3",
    "v1.2.3",
    "1.2.3-",
    "1.2.3-01",
    "1.2.3+",
    "",
    " 1.2.3",
    "1.2.3-rc..1",
  ])("rejects %j", (text) => {
    expect(parseSemver(text)).toBeUndefined();
  });

  it.each([
    ["v1.2.3", "1.2.3"],
    ["1.2.3", "1.2.3"],
    ["vv1.2.3", undefined],
    ["latest", undefined],
  ])("normalizes %j to %j", (text, expected) => {
    expect(normalizeVersion(text)).toBe(expected);
  });
});

describe("compareVersions", () => {
  // The semver.org precedence example, in order.
  const ordered = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
  ];
  it.each(ordered.slice(1).map((v, i) => [ordered[i] as string, v]))("%s < %s", (a, b) => {
    expect(compareVersions(a, b)).toBeLessThan(0);
    expect(compareVersions(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ["1.0.0", "1.0.0"],
    ["1.0.0+a", "1.0.0+b"],
  ])("%s equals %s in precedence", (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
  });

  it("picks the highest version and ignores non-versions", () => {
    expect(highestVersion(["1.9.0", "1.10.0", "garbage", "1.10.0-rc.1"])).toBe("1.10.0");
    expect(highestVersion([])).toBeUndefined();
  });
});
