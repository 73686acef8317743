import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { links, readDocs } from "./markdown.ts";

const readme = await readFile("README.md", "utf8");

/** The text of a `## ` section of the README, up to the next one. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe("README", () => {
  it("starts with the install-and-run command and the test command, and CI runs the latter", async () => {
    const first = /```sh\n(.*)\n(.*)\n```/.exec(readme);
    expect(first?.[1]).toMatch(/^npm ci && npm start\b/);
    expect(first?.[2]).toMatch(/^npm ci && npm run check\b/);
    expect(await readFile(".ci/run", "utf8")).toMatch(/^npm run check$/m);
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["start"]).toContain("run --example penguins");
  });

  it("is a front page of fewer than 300 lines", () => {
    expect(readme.split("\n").length).toBeLessThan(300);
  });

  it("links every page of docs/, and so does the docs index", async () => {
    const pages = (await readDocs()).map((d) => d.path).filter((p) => p.startsWith("docs/"));
    const fromReadme = new Set(links(readme).map((l) => l.target.split("#")[0]));
    const index = await readFile("docs/README.md", "utf8");
    const fromIndex = new Set(links(index).map((l) => `docs/${l.target.split("#")[0]}`));
    for (const page of pages.filter((p) => p !== "docs/README.md")) {
      expect(fromReadme.has(page), `README.md links ${page}`).toBe(true);
      expect(fromIndex.has(page), `docs/README.md links ${page}`).toBe(true);
    }
  });

  it("says how to start in a repository: install, then init, then the first pull request", () => {
    const use = section("Use it in your repository");
    const install = use.indexOf("npm install --save-dev modelship");
    const init = use.indexOf("npx modelship init");
    const pr = use.indexOf("first pull request");
    expect(install).toBeGreaterThan(-1);
    expect(init).toBeGreaterThan(install);
    expect(pr).toBeGreaterThan(init);
    expect(use).toContain("docs/cli.md#install-scripts-allowscripts");
  });
});
