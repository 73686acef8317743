import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checkRefFormat } from "../../../core/version/check-ref-format.ts";

/** What the real `git check-ref-format` says, so the pure rules cannot drift from git's. */
function gitAccepts(ref: string): boolean {
  try {
    execFileSync("git", ["check-ref-format", ref], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("checkRefFormat", () => {
  it.each([
    ["refs/tags/model/iris/v1.0.0", true],
    ["refs/tags/model/iris/v1.0.0-rc.1+build.5", true],
    ["refs/modelship/aliases/iris/production", true],
    ["refs/tags/a./v1", true],
    ["refs/tags/a_b@c", true],
    ["refs/tags/a..b", false],
    ["refs/tags/.hidden", false],
    ["refs/tags/x.lock", false],
    ["refs/tags/x.lock/y", false],
    ["refs/tags/x.", false],
    ["refs/tags//x", false],
    ["refs/tags/x/", false],
    ["/refs/tags/x", false],
    ["refs/tags/a b", false],
    ["refs/tags/a~1", false],
    ["refs/tags/a^", false],
    ["refs/tags/a:b", false],
    ["refs/tags/a?", false],
    ["refs/tags/a*", false],
    ["refs/tags/a[b", false],
    ["refs/tags/a\\b", false],
    ["refs/tags/a@{1}", false],
    ["refs/tags/a\tb", false],
    ["refs/tags/a\x7fb", false],
    ["@", false],
    ["onelevel", false],
  ])("%j valid: %s (and git agrees)", (ref, valid) => {
    expect(checkRefFormat(ref) === undefined).toBe(valid);
    expect(gitAccepts(ref)).toBe(valid);
  });
});
