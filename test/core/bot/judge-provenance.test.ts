import { describe, expect, it } from "vitest";
import { appDeployments, rollbackTarget } from "../../../core/bot/deployment-payload.ts";
import {
  judgeProvenance,
  provenanceRequirements,
  trustedAuthors,
  type ProvenanceFacts,
} from "../../../core/bot/judge-provenance.ts";
import { parseConfig } from "../../../core/config/parse-config.ts";

const config = (() => {
  const parsed = parseConfig(
    "model:\n  name: iris\ndeploy:\n  environments:\n    production: {}\n    qa: { requires: [merged] }\n    sandbox: { requires: [] }\n",
    ".github/modelship.yml",
  );
  if (!parsed.ok) throw new Error("bad fixture");
  return parsed.config;
})();

const MERGE = "a".repeat(40);
const GOOD: ProvenanceFacts = {
  author: "modelship[bot]",
  commit: MERGE,
  defaultBranch: "main",
  pull: { number: 7, merged: true, mergeCommitSha: MERGE, baseRef: "main" },
  reviewed: true,
  gates: true,
};

describe("judgeProvenance", () => {
  it.each([
    { change: {}, env: "production", reason: null },
    { change: { author: "github-actions[bot]" }, env: "production", reason: null },
    { change: { author: "mallory" }, env: "production", reason: "untrusted-version" },
    { change: { author: "mallory" }, env: "sandbox", reason: "untrusted-version" },
    { change: { author: null }, env: "production", reason: "untrusted-version" },
    { change: { pull: null }, env: "production", reason: "not-merged" },
    {
      change: { pull: { ...GOOD.pull!, merged: false, mergeCommitSha: null } },
      env: "production",
      reason: "not-merged",
    },
    { change: { pull: { ...GOOD.pull!, baseRef: "release" } }, env: "production", reason: "not-merged" },
    { change: { commit: "b".repeat(40) }, env: "production", reason: "not-merged" },
    { change: { reviewed: false }, env: "production", reason: "not-reviewed" },
    { change: { reviewed: null }, env: "production", reason: "not-reviewed" },
    { change: { gates: false }, env: "production", reason: "gates-not-passed" },
    { change: { gates: null }, env: "unlisted", reason: "gates-not-passed" },
    { change: { reviewed: false, gates: false }, env: "qa", reason: null },
    { change: { pull: null, reviewed: null, gates: null }, env: "sandbox", reason: null },
  ] as const)("$change in $env → $reason", ({ change, env, reason }) => {
    const verdict = judgeProvenance({
      version: "1.2.0",
      environment: env,
      facts: { ...GOOD, ...change },
      trusted: trustedAuthors(config),
      requires: provenanceRequirements(config, env),
    });
    expect(verdict.ok ? null : verdict.reason).toBe(reason);
  });
});

describe("rollbackTarget over the App's own deployments", () => {
  const d = (version: string, latestState: string | null, creator = "modelship[bot]") => ({
    creator,
    latestState,
    payload: {
      model: "iris",
      version,
      strategy: "blue-green",
      previousVersion: "9.9.9",
      environment: "production",
      pr: null,
    },
  });
  it.each([
    { list: [d("1.1.0", "success"), d("1.0.0", "success")], target: "1.0.0" },
    { list: [d("1.2.0", "failure"), d("1.1.0", "success"), d("1.0.0", "success")], target: "1.1.0" },
    { list: [d("1.1.0", "success")], target: null },
    {
      list: [d("1.1.0", "success", "mallory"), d("1.1.0", "success"), d("1.0.0", "success")],
      target: "1.0.0",
    },
    { list: [d("1.1.0", "success"), d("9.9.9", "success", "mallory")], target: null },
    { list: [], target: null },
  ])("→ $target", ({ list, target }) => {
    expect(rollbackTarget(appDeployments(list, "modelship[bot]", "iris"))).toBe(target);
  });
});
