import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

async function repo(): Promise<string> {
  return mkdtemp(join(tmpdir(), "ms-init-"));
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
    ["kubernetes", ["--target", "kubernetes"]],
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
    expect(r.stdout).toContain("nothing to do: all 4 files are already as init writes them");
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
    expect(r.stdout.match(/would create/g)).toHaveLength(4);
    expect(r.stdout).toContain("note: the workflows use OWNER/modelship@v1");
    await expect(readdir(join(dir, ".github"))).rejects.toThrow(/ENOENT/);
  });

  it("--dry-run --json prints the plan as JSON", async () => {
    const dir = await repo();
    const r = await runCli([...ARGS, "--dry-run", "--json"], { cwd: dir });
    expect(JSON.parse(r.stdout)).toEqual({
      dryRun: true,
      files: FILES.map((path) => ({ path, kind: "create" })),
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
        "--target",
        "lambda",
        "--action",
        "acme/modelship",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    for (const message of [
      "--model: lower-case letters",
      "--runner-labels: a runner label",
      "--target: expected one of local, kubernetes",
      "--action: OWNER/REPO@REF",
    ]) {
      expect(r.stderr).toContain(message);
    }
    expect(r.stderr).toContain("[init-invalid-option]");
    await expect(readdir(join(dir, ".github"))).rejects.toThrow(/ENOENT/);
  });
});
