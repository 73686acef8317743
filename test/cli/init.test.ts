import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/parse-config.ts";
import { runCli } from "./run-cli.ts";

const FILES = [
  ".github/modelship.yml",
  ".github/workflows/modelship-train.yml",
  ".github/workflows/modelship-deploy.yml",
  ".github/workflows/modelship-sweep.yml",
];
const ARGS = [
  "init",
  "--model",
  "churn",
  "--runner-labels",
  "self-hosted,gpu,a100",
  "--action",
  "acme/modelship@v1",
];

const SCHEMA = fileURLToPath(new URL("../../schema/modelship.schema.json", import.meta.url));
const DATA = fileURLToPath(new URL("../fixtures/data/", import.meta.url));

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function repo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ms-init-"));
  dirs.push(dir);
  return dir;
}

/** A repository holding fixture data files under data/. */
async function repoWithData(...files: string[]): Promise<string> {
  const dir = await repo();
  await mkdir(join(dir, "data"));
  for (const f of files) await copyFile(join(DATA, f), join(dir, "data", f));
  return dir;
}
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of FILES) out[f] = await readFile(join(dir, f), "utf8");
  return out;
}

describe("modelship init", () => {
  it("writes the config and the three workflows into a fresh repository", async () => {
    const dir = await repo();
    const r = await runCli(ARGS, { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const f of FILES) expect(r.stdout).toMatch(new RegExp(`created\\s+${f.replace(/\./g, "\\.")}\\n`));
    expect((await readdir(join(dir, ".github/workflows"))).sort()).toEqual([
      "modelship-deploy.yml",
      "modelship-sweep.yml",
      "modelship-train.yml",
    ]);
    const files = await snapshot(dir);
    expect(files[".github/workflows/modelship-train.yml"]).toContain(
      'runs-on: ["self-hosted", "gpu", "a100"]',
    );
    expect(files[".github/workflows/modelship-train.yml"]).toContain("uses: acme/modelship@v1");
    expect(Object.values(files).join("\n")).not.toMatch(/__[A-Z_]+__|OWNER\/modelship@/);
  });

  it.each([
    ["local", []],
    ["kubernetes", ["--deploy-target", "kubernetes"]],
  ])("writes a config that validates, with the options given (%s)", async (target, extra) => {
    const dir = await repo();
    expect((await runCli([...ARGS, ...extra], { cwd: dir })).code).toBe(0);
    const parsed = parseConfig(
      await readFile(join(dir, ".github/modelship.yml"), "utf8"),
      ".github/modelship.yml",
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.model.name).toBe("churn");
    expect(parsed.config.train.runner.labels).toEqual(["self-hosted", "gpu", "a100"]);
    expect(parsed.config.deploy.target).toBe(target);
    expect(Object.keys(parsed.config.train.search).length).toBeGreaterThan(0);
    if (target === "local") {
      // The real CLI agrees.
      expect((await runCli(["validate"], { cwd: dir })).stdout).toContain("valid (model churn");
    }
  });

  it("is idempotent: a second run changes nothing and says so", async () => {
    const dir = await repo();
    await runCli(ARGS, { cwd: dir });
    const before = await snapshot(dir);
    const r = await runCli(ARGS, { cwd: dir });
    expect(r.code).toBe(0);
    for (const f of FILES) expect(r.stdout).toMatch(new RegExp(`unchanged\\s+${f.replace(/\./g, "\\.")}\\n`));
    expect(r.stdout).toContain("nothing to do: all 5 files are already as init writes them");
    expect(await snapshot(dir)).toEqual(before);
  });

  it("keeps a file the user edited, and says so", async () => {
    const dir = await repo();
    await runCli(ARGS, { cwd: dir });
    const train = join(dir, ".github/workflows/modelship-train.yml");
    const edited = (await readFile(train, "utf8")).replace("timeout-minutes: 360", "timeout-minutes: 720");
    await writeFile(train, edited);
    const r = await runCli(ARGS, { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /kept your edits\s+\.github\/workflows\/modelship-train\.yml \(differs from what init writes; --force replaces it\)/,
    );
    expect(r.stdout).toContain("nothing written: 1 edited file kept");
    expect(await readFile(train, "utf8")).toBe(edited);
  });

  it("keeps a file written with other options too, unless --force", async () => {
    const dir = await repo();
    await runCli(ARGS, { cwd: dir });
    const other = ["init", "--model", "fraud", "--action", "acme/modelship@v1"];
    const kept = await runCli(other, { cwd: dir });
    expect(kept.stdout.match(/kept your edits/g)).toHaveLength(4);
    expect(await readFile(join(dir, ".github/modelship.yml"), "utf8")).toContain('name: "churn"');

    const forced = await runCli([...other, "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(forced.stdout.match(/overwrote/g)).toHaveLength(4);
    expect(await readFile(join(dir, ".github/modelship.yml"), "utf8")).toContain('name: "fraud"');
    expect((await runCli(other, { cwd: dir })).stdout).toContain("nothing to do");
  });

  it("--dry-run lists what it would do, writes nothing, and notes the placeholder Action", async () => {
    const dir = await repo();
    const r = await runCli(["init", "--model", "churn", "--dry-run"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/would create/g)).toHaveLength(5);
    expect(r.stdout).toContain("note: the workflows use OWNER/modelship@v1");
    await expect(readdir(join(dir, ".github"))).rejects.toThrow(/ENOENT/);
  });

  it("--dry-run --json prints the plan as JSON", async () => {
    const dir = await repo();
    const r = await runCli([...ARGS, "--dry-run", "--json"], { cwd: dir });
    expect(JSON.parse(r.stdout)).toEqual({
      dryRun: true,
      files: [...FILES, ".gitignore"].map((path) => ({ path, kind: "create" })),
    });
  });

  it("refuses invalid options with exit 2, naming each flag, and writes nothing", async () => {
    const dir = await repo();
    const r = await runCli(
      [
        "init",
        "--model",
        "Churn Model",
        "--runner-labels",
        "gpu,bad label",
        "--deploy-target",
        "lambda",
        "--task",
        "clustering",
        "--action",
        "acme/modelship",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    for (const message of [
      "--model: lower-case letters",
      "--runner-labels: a runner label",
      "--deploy-target: expected one of local, kubernetes",
      "--task: expected one of classification, regression",
      "--action: OWNER/REPO@REF",
    ]) {
      expect(r.stderr).toContain(message);
    }
    expect(r.stderr).toContain("[init-invalid-option]");
    await expect(readdir(join(dir, ".github"))).rejects.toThrow(/ENOENT/);
  });
});

describe("modelship init: .gitignore", () => {
  it("creates .gitignore with .modelship/ in a fresh repository", async () => {
    const dir = await repo();
    const r = await runCli(ARGS, { cwd: dir });
    expect(r.stdout).toMatch(/created\s+\.gitignore\n/);
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(".modelship/\n");
  });

  it.each([
    ["no final newline", "node_modules\n*.log", "node_modules\n*.log\n.modelship/\n"],
    ["a final newline", "node_modules\n", "node_modules\n.modelship/\n"],
    ["CRLF line endings", "node_modules\r\ndist\r\n", "node_modules\r\ndist\r\n.modelship/\r\n"],
  ])(
    "adds the line to an existing .gitignore with %s, keeping its content, once",
    async (_c, before, after) => {
      const dir = await repo();
      await writeFile(join(dir, ".gitignore"), before);
      const first = await runCli(ARGS, { cwd: dir });
      expect(first.stdout).toMatch(/updated\s+\.gitignore \(adds \.modelship\/\)/);
      expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(after);
      const again = await runCli(ARGS, { cwd: dir });
      expect(again.stdout).toMatch(/unchanged\s+\.gitignore\n/);
      expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(after);
    },
  );

  it("leaves a .gitignore that already ignores the folder alone", async () => {
    const dir = await repo();
    await writeFile(join(dir, ".gitignore"), "/.modelship\n");
    await runCli(ARGS, { cwd: dir });
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe("/.modelship\n");
  });
});

describe("modelship init: the starter config", () => {
  it("points YAML editors at the schema shipped in the package, by a path relative to the config", async () => {
    const dir = await repo();
    await runCli(ARGS, { cwd: dir });
    const [first] = (await readFile(join(dir, ".github/modelship.yml"), "utf8")).split("\n");
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first ?? "");
    expect(m, first).not.toBeNull();
    expect(m![1]!.startsWith("/")).toBe(false);
    expect(resolve(join(dir, ".github"), m![1]!)).toBe(SCHEMA);
    expect((await stat(SCHEMA)).isFile()).toBe(true);
  });

  it("from --task, --target and --data, writes a config that `modelship train` trains as written", async () => {
    const dir = await repoWithData("regression.csv");
    const init = await runCli(
      ["init", "--model", "prices", "--task", "regression", "--target", "y", "--data", "data/*.csv"],
      { cwd: dir },
    );
    expect(init.code, init.stderr).toBe(0);
    const parsed = parseConfig(await readFile(join(dir, ".github/modelship.yml"), "utf8"), "modelship.yml");
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.model).toMatchObject({ task: "regression", target: "y" });
    expect(parsed.config.data.source).toEqual(["data/regression.csv"]);
    // zone holds words: one-hot encoded; the numeric inputs are standardized.
    expect(parsed.config.data.transforms).toEqual([
      { op: "standardize", column: "x1" },
      { op: "standardize", column: "x2" },
      { op: "onehot", column: "zone" },
    ]);
    const validate = await runCli(["validate"], { cwd: dir });
    expect(validate.stderr).toBe("");
    const train = await runCli(["train", "--json", "--set", "epochs=5", "-q"], { cwd: dir });
    expect(train.code, train.stderr).toBe(0);
    const { record } = JSON.parse(train.stdout) as { record: { metrics: Record<string, number> } };
    expect(Object.keys(record.metrics)).toContain("r2");
  }, 120_000);

  it("imputes gaps in JSON data before encoding and scaling", async () => {
    const dir = await repoWithData("tiny.json");
    const r = await runCli(["init", "--data", "data/tiny.json", "--dry-run", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const live = await runCli(["init", "-q", "--data", "data/tiny.json"], { cwd: dir });
    expect(live.code).toBe(0);
    const parsed = parseConfig(await readFile(join(dir, ".github/modelship.yml"), "utf8"), "m.yml");
    expect(parsed.ok && parsed.config.data.transforms).toEqual([
      { op: "standardize", column: "height" },
      { op: "onehot", column: "colour" },
      { op: "impute", column: "weight", strategy: "median" },
      { op: "standardize", column: "weight" },
    ]);
  });

  it.each([
    ["a missing file", ["--data", "data/none.csv"], "init-data-missing"],
    ["a glob matching nothing", ["--data", "data/*.parquet"], "init-data-missing"],
    ["a file outside the repository", ["--data", "../outside.csv"], "init-data-outside"],
    ["a format the trainer cannot read", ["--data", "data/notes.txt"], "init-data-format"],
    ["a target column the file lacks", ["--data", "data/tiny.csv", "--target", "price"], "init-data-invalid"],
    ["the default target when the file lacks it", ["--data", "data/regression.csv"], "init-data-invalid"],
    ["regression on a text target", ["--data", "data/tiny.csv", "--task", "regression"], "init-data-invalid"],
  ])("refuses %s with exit 2 and writes nothing", async (_c, args, code) => {
    const dir = await repoWithData("tiny.csv", "regression.csv");
    await writeFile(join(dir, "data/notes.txt"), "label\n");
    await writeFile(join(dirname(dir), "outside.csv"), "x,label\n1,a\n");
    const r = await runCli(["init", ...args], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr).toMatch(/hint: /);
    await expect(readdir(join(dir, ".github"))).rejects.toThrow(/ENOENT/);
  });

  it("names the columns the file has when the target is not one of them", async () => {
    const dir = await repoWithData("tiny.csv");
    const r = await runCli(["init", "--data", "data/tiny.csv", "--target", "price"], { cwd: dir });
    expect(r.stderr).toContain(
      '--target: no column "price" in data/tiny.csv (its columns: "height", "colour", "weight", "label")',
    );
  });
});
