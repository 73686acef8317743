import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_INPUTS, ACTION_OUTPUTS, parseActionInputs } from "../../action/inputs.ts";
import { renderActionYml } from "../../action/render-action-yml.ts";
import { REPO_ROOT } from "./run-action.ts";

type Parsed = {
  errors: string[];
  template: {
    name: string;
    runs: { using: string; main: string };
    inputs: { id: string; required: boolean; default?: string; description?: string }[];
    outputs: { id: string; description?: string }[];
  } | null;
};

let parser = "";

/** GitHub's own action.yml parser, bundled once (it imports JSON without attributes, which plain Node refuses). */
async function parseWithGitHub(content: string): Promise<Parsed> {
  const dir = await mkdtemp(join(tmpdir(), "modelship-action-yml-"));
  const file = join(dir, "action.yml");
  await writeFile(file, content);
  const { stdout } = await promisify(execFile)(process.execPath, [parser, file]);
  return JSON.parse(stdout) as Parsed;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "modelship-parser-"));
  parser = join(dir, "parse-action-yml.mjs");
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ["test/action/support/parse-action-yml.ts"],
    outfile: parser,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "error",
    banner: { js: 'import{createRequire}from"node:module";const require=createRequire(import.meta.url);' },
  });
});

describe("action.yml", () => {
  it("is exactly what the input/output registry generates", async () => {
    const committed = await readFile(join(REPO_ROOT, "action.yml"), "utf8");
    expect(committed).toBe(renderActionYml());
  });

  it("declares every registry input and output with its description, requiredness and default", async () => {
    const doc = parse(await readFile(join(REPO_ROOT, "action.yml"), "utf8")) as {
      inputs: Record<string, { description: string; required: boolean; default?: string }>;
      outputs: Record<string, { description: string }>;
      runs: { using: string; main: string };
    };
    expect(Object.keys(doc.inputs)).toEqual(Object.keys(ACTION_INPUTS));
    for (const [name, spec] of Object.entries(ACTION_INPUTS)) {
      expect(doc.inputs[name], name).toEqual(spec);
    }
    expect(doc.outputs).toEqual(ACTION_OUTPUTS);
    expect(doc.runs).toEqual({ using: "node24", main: "dist/index.js" });
    expect(doc.inputs["github-token"]?.default).toBe("${{ github.token }}");
  });

  it("passes GitHub's action.yml parser, which sees the same inputs and outputs", async () => {
    const result = await parseWithGitHub(await readFile(join(REPO_ROOT, "action.yml"), "utf8"));
    expect(result.errors).toEqual([]);
    expect(result.template?.runs).toEqual({ using: "node24", main: "dist/index.js" });
    expect(result.template?.inputs.map((i) => [i.id, i.required])).toEqual(
      Object.entries(ACTION_INPUTS).map(([k, v]) => [k, v.required]),
    );
    expect(result.template?.outputs.map((o) => o.id)).toEqual(Object.keys(ACTION_OUTPUTS));
  });

  it.each([
    ["an unknown runtime", (y: string) => y.replace("using: node24", "using: node99")],
    ["a misspelt runs key", (y: string) => y.replace("  main: dist/index.js", "  mian: dist/index.js")],
  ])("GitHub's parser rejects %s (the check can fail)", async (_what, mutate) => {
    const result = await parseWithGitHub(mutate(renderActionYml()));
    expect(result.errors.length).toBeGreaterThan(0);
  });
});

describe("docs/action.md", () => {
  it("documents every input and output", async () => {
    const doc = await readFile(join(REPO_ROOT, "docs/action.md"), "utf8");
    for (const name of [...Object.keys(ACTION_INPUTS), ...Object.keys(ACTION_OUTPUTS)]) {
      expect(doc, name).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, "m"));
    }
  });
});

describe("parseActionInputs", () => {
  const inputs = (given: Record<string, string>) => (name: string) => given[name] ?? "";

  it("fills the registry's defaults the runner would fill", () => {
    const parsed = parseActionInputs(inputs({ command: "report" }));
    expect(parsed.config).toBe(".github/modelship.yml");
    expect(parsed["checkpoint-dir"]).toBe(".modelship/checkpoints");
    expect(parsed["github-token"]).toBeUndefined();
  });

  it("parses typed values", () => {
    const parsed = parseActionInputs(
      inputs({ command: "train", params: '{"epochs": 20, "optimizer": "sgd"}', pr: "42", model: "iris" }),
    );
    expect(parsed).toMatchObject({
      command: "train",
      params: { epochs: 20, optimizer: "sgd" },
      pr: 42,
      model: "iris",
    });
  });

  it.each([
    [{ command: "" }, "input 'command'"],
    [{ command: "deploi" }, "input 'command': expected one of train, report"],
    [{ command: "train", params: "epochs=20" }, "input 'params': not valid JSON"],
    [{ command: "train", params: "[1]" }, "input 'params': must be a JSON object"],
    [{ command: "report", pr: "12abc" }, "input 'pr': a pull request number"],
    [{ command: "report", model: "Iris Model" }, "input 'model'"],
    [{ command: "deploy", environment: "prod;rm -rf" }, "input 'environment'"],
  ])("refuses %j naming the input", (given, message) => {
    expect(() => parseActionInputs(inputs(given))).toThrow(message);
  });
});
