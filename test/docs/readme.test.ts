import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { runCli } from "../cli/run-cli.ts";

const readme = await readFile("README.md", "utf8");

describe("README", () => {
  it("starts with the install-and-run command and the test command, and CI runs the latter", async () => {
    const first = /```sh\n(.*)\n(.*)\n```/.exec(readme);
    expect(first?.[1]).toMatch(/^npm ci && npm start\b/);
    expect(first?.[2]).toMatch(/^npm ci && npm run check\b/);
    expect(await readFile(".ci/run", "utf8")).toMatch(/^npm run check$/m);
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts["start"]).toContain("run --example penguins");
  });

  it("shows a configuration example that is valid", () => {
    const section = readme.slice(readme.indexOf("## Configuration"));
    const yaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.includes("model:"));
    expect(yaml).toBeDefined();
    const result = parseConfig(yaml!, "README.md");
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it("documents every command the CLI has", async () => {
    const help = await runCli(["--help"], { cwd: process.cwd() });
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+)(?: |$)/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) expect(readme, `modelship ${c}`).toContain(`modelship ${c}`);
  });
});
