import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "./run-cli.ts";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
import { makeConfigRepo } from "./config-repo.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNS = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
const CONFIG = `model: { name: iris, task: classification, target: species }
data: { source: [iris.csv] }
train:
  search:
    learningRate: { min: 0.001, max: 0.1, log: true }
metrics:
  primary: accuracy
  gates:
    accuracy: { maxRegression: 0.01 }
`;

let repo: string;

beforeAll(async () => {
  repo = await makeConfigRepo({ config: CONFIG, prefix: "ms-cli-conventions-" });
  for (const [from, to] of [
    ["iris-baseline", "base"],
    ["iris-candidate", "cand"],
  ] as const) {
    await cp(join(RUNS, from), join(repo, "runs", to), { recursive: true });
    await mkdir(join(repo, "runs", to, "model"));
    // A real model: register loads it before creating a version.
    const bias = to === "base" ? 0 : 0.1;
    await writeFile(
      join(repo, "runs", to, "model", "model.onnx"),
      linearClassifierModel(
        CLASSIFIER_WEIGHTS.w,
        CLASSIFIER_WEIGHTS.b.map((b) => b + bias),
      ),
    );
  }
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe("usage errors", () => {
  it.each([
    ["no command", [], "modelship --help"],
    ["an unknown command", ["tran"], "modelship --help"],
    ["an unknown option", ["train", "--bogus"], "modelship train --help"],
    ["a misspelt option", ["compare", "runs/cand", "--fromat", "json"], "modelship compare --help"],
    ["a missing argument", ["compare"], "modelship compare --help"],
    ["a missing subcommand", ["models"], "modelship models --help"],
    ["an unknown subcommand", ["models", "lis"], "modelship models --help"],
    ["a value outside the choices", ["compare", "runs/cand", "--format", "yaml"], "modelship compare --help"],
    ["a value that does not parse", ["sweep", "plan", "--trials", "many"], "modelship sweep plan --help"],
    ["an extra argument", ["validate", "extra"], "modelship validate --help"],
    [
      "--json with --format",
      ["compare", "runs/cand", "--json", "--format", "text"],
      "modelship compare --help",
    ],
  ])("%s exits 2 with one line pointing at --help, not the help", async (_case, args, help) => {
    const r = await runCli(args, { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(`\`${help}\``);
    expect(r.stderr).not.toMatch(/Usage:|Options:/);
  });

  it("suggests the command meant", async () => {
    const r = await runCli(["tran"], { cwd: repo });
    expect(r.stderr).toContain("unknown command 'tran' (Did you mean train?)");
  });

  it("keeps a command's own --version apart from the program's", async () => {
    // `register --version` names the version to register: it is not the program's --version.
    const r = await runCli(["register", "runs/cand", "--version", "not-semver"], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.stderr).toContain("not-semver");
  });
});

describe("--version and --help", () => {
  it.each([["--version"], ["-V"]])("%s prints package.json's version and exits 0", async (flag) => {
    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await runCli([flag], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it("--help lists --version and --quiet and exits 0", async () => {
    const r = await runCli(["--help"], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-V, --version/);
    expect(r.stdout).toMatch(/-q, --quiet/);
  });
});

describe("--json on every command that reports", () => {
  it.each([
    ["validate", ["validate", "--json"], 0],
    ["compare --json", ["compare", "runs/cand", "--baseline", "runs/base", "--json"], 0],
    ["compare --format json", ["compare", "runs/base", "--baseline", "runs/cand", "--format", "json"], 1],
    ["register", ["register", "runs/base", "--json"], 0],
    ["models list", ["models", "list", "--json"], 0],
    ["models show", ["models", "show", "latest", "--json"], 0],
    ["models alias", ["models", "alias", "staging", "1.0.0", "--json"], 0],
    ["models history", ["models", "history", "staging", "--json"], 0],
    ["status", ["status", "--json"], 0],
    ["sweep plan", ["sweep", "plan", "--trials", "2"], 0],
    ["sweep best", ["sweep", "best", "--runs-dir", "runs", "--json"], 0],
    ["schema", ["schema"], 0],
    ["init --dry-run", ["init", "--dry-run", "--json", "--dir", "elsewhere"], 0],
  ])("%s prints one JSON document", async (_case, args, code) => {
    const r = await runCli(args, { cwd: repo });
    expect(r.code, r.stderr).toBe(code);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  });

  it("compare --json prints what --format json prints", async () => {
    const args = ["compare", "runs/cand", "--baseline", "runs/base"];
    const json = await runCli([...args, "--json"], { cwd: repo });
    const format = await runCli([...args, "--format", "json"], { cwd: repo });
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(format.stdout));
  });
});

describe("--quiet", () => {
  let loud: CliResult | undefined;
  it.each([
    ["after the command", ["sweep", "plan", "--trials", "2", "-q"]],
    ["before the command", ["-q", "sweep", "plan", "--trials", "2"]],
    ["spelt out", ["sweep", "plan", "--trials", "2", "--quiet"]],
  ])("drops progress lines but keeps the requested output (%s)", async (_case, args) => {
    loud ??= await runCli(["sweep", "plan", "--trials", "2"], { cwd: repo });
    expect(loud.stderr).toContain("2 trials (random)");
    const quiet = await runCli(args, { cwd: repo });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(loud.stdout);
  });

  it("drops informational lines: schema --write and init say nothing, and still write", async () => {
    const schema = await runCli(["schema", "--write", "out/schema.json", "-q"], { cwd: repo });
    expect(schema).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(JSON.parse(await readFile(join(repo, "out/schema.json"), "utf8"))).toHaveProperty("$schema");
    const init = await runCli(["init", "-q", "--dir", "quiet-init"], { cwd: repo });
    expect(init).toMatchObject({ code: 0, stdout: "", stderr: "" });
    await expect(readFile(join(repo, "quiet-init/.github/modelship.yml"), "utf8")).resolves.toContain(
      "model:",
    );
  });

  it("never drops errors, warnings or the exit code", async () => {
    const missing = await runCli(["validate", "-q", "--config", "nowhere.yml"], { cwd: repo });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("[config-unreadable]");
    const failed = await runCli(["compare", "runs/base", "--baseline", "runs/cand", "-q"], { cwd: repo });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED/);
  });
});
