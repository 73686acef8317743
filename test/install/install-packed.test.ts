import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand, start, userEnv, type Finished } from "./spawn-command.ts";

// `npm pack` compiles build/ (the `prepare` script) and installing unpacks ~300 packages; both
// dominate this file's time, so they run once and every test reads their results.
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NPM_QUIET = ["--prefer-offline", "--no-audit", "--no-fund"];

type PackedFile = { path: string; size: number };
type Packed = {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
};

let tmp: string;
let repo: string;
let packed: Packed;
let install: Finished;

/** The allowScripts block docs/cli.md tells an adopting repository to add. */
async function documentedAllowScripts(): Promise<Record<string, boolean>> {
  const page = await readFile(join(REPO_ROOT, "docs", "cli.md"), "utf8");
  const block = [...page.matchAll(/```json\n([\s\S]*?)```/g)].find((m) => m[1]?.includes('"allowScripts"'));
  expect(block, "docs/cli.md shows an allowScripts block").toBeDefined();
  return (JSON.parse(block![1]!) as { allowScripts: Record<string, boolean> }).allowScripts;
}

/** 60 rows of a problem a tiny network learns: is x1 + x2 above zero? */
function syntheticCsv(): string {
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const rows = ["x1,x2,label"];
  for (let i = 0; i < 60; i++) {
    const [x1, x2] = [next() * 4 - 2, next() * 4 - 2];
    rows.push(`${x1.toFixed(3)},${x2.toFixed(3)},${x1 + x2 > 0 ? "yes" : "no"}`);
  }
  return `${rows.join("\n")}\n`;
}

async function createAdoptingRepo(dir: string, tarballSpec: string): Promise<void> {
  await mkdir(dir);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir });
  git("init", "-q");
  git("config", "user.email", "dev@example.com");
  git("config", "user.name", "Dev");
  // npm knows a tarball by its absolute path, not its name; it holds build/ already (docs/cli.md).
  const allowScripts = { ...(await documentedAllowScripts()), [tarballSpec]: false };
  const pkg = { name: "churn", private: true, allowScripts };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  await writeFile(join(dir, ".gitignore"), "node_modules/\n");
  await writeFile(join(dir, "churn.csv"), syntheticCsv());
  git("add", ".");
  git("commit", "-qm", "Data");
}

function modelship(...args: string[]): Promise<Finished> {
  return runCommand("npx", ["--no-install", "modelship", ...args], { cwd: repo, timeoutMs: 180_000 });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "modelship-install-"));
  const pack = await runCommand("npm", ["pack", "--json", "--pack-destination", tmp], {
    cwd: REPO_ROOT,
    timeoutMs: 300_000,
  });
  expect(pack.code, pack.stderr).toBe(0);
  packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
  repo = join(tmp, "churn");
  const tarball = `../${packed.filename}`;
  await createAdoptingRepo(repo, `file:${join(tmp, packed.filename)}`);
  install = await runCommand("npm", ["install", "--save-dev", ...NPM_QUIET, tarball], {
    cwd: repo,
    timeoutMs: 420_000,
  });
}, 720_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("ships the compiled CLI with the templates, examples, schema and App manifest it reads", () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      "bin/modelship.js",
      "build/cli/main.js",
      "build/runners/serve/main.js",
      "build/templates/config/modelship.yml",
      "build/templates/workflows/modelship-train.yml",
      "build/examples/penguins/modelship.yml",
      "build/app.yml",
      "build/package.json",
      "schema/modelship.schema.json",
      "package.json",
    ])
      expect(paths).toContain(needed);
  });

  it("ships no TypeScript sources, tests, benchmarks or Action bundle", () => {
    const unwanted = packed.files
      .map((f) => f.path)
      .filter(
        (p) =>
          p.endsWith(".ts") || /^(test|bench|cli|core|adapters|runners|bot|action|dist|scripts)\//.test(p),
      );
    expect(unwanted).toEqual([]);
  });
});

describe("npm install --save-dev <tarball> in a fresh repository", () => {
  it("installs with the documented allowScripts, leaving no install script unreviewed", async () => {
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/install-scripts|not yet covered by allowScripts/);
    const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as {
      devDependencies?: Record<string, string>;
    };
    expect(pkg.devDependencies?.["modelship"]).toBe(`file:../${packed.filename}`);
  });

  it("runs the compiled build/ from node_modules, never TypeScript sources", async () => {
    const coverage = join(tmp, "coverage");
    const env = userEnv({ NODE_V8_COVERAGE: coverage });
    const r = await runCommand("npx", ["--no-install", "modelship", "--help"], { cwd: repo, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Usage: modelship/);
    // V8 lists every script each Node process ran (npx's own and the bin's).
    const urls: string[] = [];
    for (const file of await readdir(coverage)) {
      const report = JSON.parse(await readFile(join(coverage, file), "utf8")) as {
        result: { url: string }[];
      };
      urls.push(...report.result.map((s) => s.url).filter((u) => u.includes("/modelship/")));
    }
    const installed = `${(await realpath(join(repo, "node_modules", "modelship"))).replaceAll("\\", "/")}/`;
    expect(urls).toContain(`file://${installed}build/cli/main.js`);
    expect(urls.filter((u) => u.endsWith(".ts"))).toEqual([]);
  });
});

describe("the installed CLI in that repository", () => {
  const say = (r: Finished) => `${r.stdout}${r.stderr}`;

  async function trainAndRegister(runId: string, ...set: string[]): Promise<string> {
    const train = await modelship("train", "--run-id", runId, "--no-progress", "--set", "epochs=15", ...set);
    expect(train.code, say(train)).toBe(0);
    expect(say(train)).toMatch(new RegExp(`run ${runId} \\(builtin, [^)]+\\) written to`));
    expect(say(train)).toMatch(/ONNX parity: max \|diff\|/);
    const compare = await modelship("compare", `.modelship/runs/${runId}`);
    expect(compare.code, say(compare)).toBe(0);
    expect(compare.stdout).toMatch(/Modelship compare churn: PASSED/);
    const register = await modelship("register", `.modelship/runs/${runId}`);
    expect(register.code, say(register)).toBe(0);
    const version = /registered churn v(\d+\.\d+\.\d+)/.exec(say(register))?.[1];
    expect(version, say(register)).toBeDefined();
    return version!;
  }

  async function deploy(version: string): Promise<void> {
    const r = await modelship("deploy", version, "--no-serve", "--port", "0");
    expect(r.code, say(r)).toBe(0);
    expect(say(r)).toMatch(new RegExp(`deploy of v${version.replaceAll(".", "\\.")} succeeded`));
  }

  it("init, train, compare, register, deploy --no-serve, status, rollback", async () => {
    const init = await modelship(
      "init",
      "--model",
      "churn",
      "--task",
      "classification",
      "--target",
      "label",
      "--data",
      "churn.csv",
    );
    expect(init.code, say(init)).toBe(0);
    expect(init.stdout).toMatch(/created\s+\.github\/modelship\.yml/);
    execFileSync("git", ["add", "."], { cwd: repo });
    execFileSync("git", ["commit", "-qm", "Add Modelship"], { cwd: repo });

    const first = await trainAndRegister("first");
    expect(first).toBe("1.0.0");
    await deploy(first);
    const second = await trainAndRegister("second", "--set", "learningRate=0.05");
    expect(second).not.toBe(first);
    await deploy(second);

    const stopped = await modelship("status");
    expect(stopped.code, say(stopped)).toBe(0);
    expect(stopped.stdout).toMatch(/production: not serving/);
    expect(stopped.stdout).toMatch(new RegExp(`last live: v${second.replaceAll(".", "\\.")} `));
    expect(stopped.stdout).toMatch(/previous:\s+v1\.0\.0/);

    // With no router running, rollback starts one from the recorded state, rolls back and stops.
    const rolledBack = await modelship("rollback", "--no-serve", "--port", "0");
    expect(rolledBack.code, say(rolledBack)).toBe(0);
    expect(say(rolledBack)).toMatch(/rollback of v1\.0\.0 succeeded/);
    expect((await modelship("status")).stdout).toMatch(/last live: v1\.0\.0 /);

    // Then serve the environment as a user would, in the foreground, and roll back through it.
    const bin = join(repo, "node_modules", ".bin", "modelship");
    const up = start(process.execPath, [bin, "up", "--port", "0"], repo);
    let upLog = "";
    up.stderr?.on("data", (d: Buffer) => (upLog += d.toString()));
    up.stdout?.on("data", (d: Buffer) => (upLog += d.toString()));
    try {
      await expect.poll(() => upLog, { timeout: 90_000, interval: 250 }).toMatch(/serving on http/);
      const served = await modelship("status");
      expect(served.stdout).toMatch(/production: serving on http/);
      expect(served.stdout).toMatch(/live:\s+v1\.0\.0 /);
      const rollback = await modelship("rollback");
      expect(rollback.code, say(rollback)).toBe(0);
      const back = new RegExp(`rollback of v${second.replaceAll(".", "\\.")} succeeded`);
      expect(say(rollback)).toMatch(back);
      const live = await modelship("status");
      expect(live.stdout).toMatch(new RegExp(`live:\\s+v${second.replaceAll(".", "\\.")} `));
      // The dashboard on the admin port, served from the package's prebuilt bundle.
      const dashboard = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(upLog)?.[1];
      expect(dashboard, upLog).toBeDefined();
      const page = await fetch(`${dashboard}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('src="app.js"');
      const script = await fetch(`${dashboard}/app.js`);
      expect(script.status).toBe(200);
      expect((await script.text()).length).toBeGreaterThan(10_000);
    } finally {
      const exited = new Promise<number | null>((resolve) => up.on("exit", resolve));
      up.kill("SIGINT");
      expect(await exited).toBe(0);
    }
  }, 600_000);
});
