import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REASON_CODES } from "../../core/rollout/rollout-types.ts";
import { COMPARISON_REASONS, METRIC_REASONS } from "../../core/compare/compare-runs.ts";
import { parseConfig } from "../../core/config/parse-config.ts";
import { runCli } from "../cli/run-cli.ts";
import { brokenLinks, fencedBlocks, headingSlugs, readDocs } from "./markdown.ts";

const docs = await readDocs();
const CONFIG_SECTIONS = new Set([
  "version",
  "model",
  "data",
  "train",
  "metrics",
  "registry",
  "github",
  "deploy",
]);
const page = (path: string) => readFile(path, "utf8");

describe("the documentation", () => {
  it("has a page for every topic the front page promises", () => {
    expect(docs.length).toBeGreaterThan(15);
  });

  it("has no relative link to a missing file or heading", () => {
    expect(brokenLinks(docs, existsSync)).toEqual([]);
  });

  it.each(docs.map((d) => [d.path, d.text]))("%s has unique headings", (_path, text) => {
    const slugs = headingSlugs(text);
    expect(slugs.length).toBeGreaterThan(0);
    expect(slugs.filter((s, i) => slugs.indexOf(s) !== i)).toEqual([]);
  });
});

describe("docs/configuration.md", () => {
  it("shows a configuration example that is valid", async () => {
    const yaml = fencedBlocks(await page("docs/configuration.md"), "yaml").find((b) => b.includes("model:"));
    expect(yaml).toBeDefined();
    const result = parseConfig(yaml!, "docs/configuration.md");
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});

describe("every page", () => {
  it("shows only modelship.yml examples that are valid", () => {
    const examples = docs.flatMap((d) =>
      fencedBlocks(d.text, "yaml")
        .filter((b) => {
          const value: unknown = parse(b);
          return (
            typeof value === "object" &&
            value !== null &&
            !Array.isArray(value) &&
            Object.keys(value).every((k) => CONFIG_SECTIONS.has(k))
          );
        })
        .map((b) => [d.path, b] as const),
    );
    expect(examples.length).toBeGreaterThan(5);
    for (const [path, yaml] of examples) {
      const result = parseConfig(yaml, path);
      expect(result.ok ? [] : result.problems, `${path}:\n${yaml}`).toEqual([]);
    }
  });
});

describe("docs/cli.md", () => {
  it("documents every command the CLI has", async () => {
    const doc = await page("docs/cli.md");
    const help = await runCli(["--help"], { cwd: process.cwd() });
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)(?: |$)/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) expect(doc, `modelship ${c}`).toContain(`modelship ${c}`);
  });
});

describe("docs/reason-codes.md", () => {
  it.each([
    ["a metric row", METRIC_REASONS],
    ["a comparison", COMPARISON_REASONS],
    ["a rollout", REASON_CODES],
  ])("gives every reason %s can end with a row of its own", async (_what, codes) => {
    const doc = await page("docs/reason-codes.md");
    for (const code of codes) expect(doc, code).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, "m"));
  });
});
