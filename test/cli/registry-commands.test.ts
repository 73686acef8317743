import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/runs/", import.meta.url));
const CONFIG = `model: { name: iris, task: classification, target: species }
metrics:
  primary: accuracy
  gates:
    accuracy: { maxRegression: 0.01 }
    loss: { direction: minimize }
`;

let repo: string;

async function addRun(name: string, as: string, model = "onnx-bytes"): Promise<string> {
  const dir = join(repo, "runs", as);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  await mkdir(join(dir, "model"), { recursive: true });
  await writeFile(join(dir, "model", "model.onnx"), model);
  return dir;
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), "ms-cli-registry-"));
  execFileSync("git", ["init", "-q"], { cwd: repo });
  execFileSync("git", ["config", "user.email", "t@example.com"], { cwd: repo });
  execFileSync("git", ["config", "user.name", "Test"], { cwd: repo });
  await mkdir(join(repo, ".github"));
  await writeFile(join(repo, ".github/modelship.yml"), CONFIG);
  execFileSync("git", ["add", "."], { cwd: repo });
  execFileSync("git", ["commit", "-qm", "init"], { cwd: repo });
  await addRun("iris-baseline", "base");
  await addRun("iris-candidate", "cand");
});

describe("compare, register and models on a real git repository", () => {
  it("compare with a run directory passes, and the reverse comparison fails with exit 1", async () => {
    const ok = await runCli(["compare", "runs/cand", "--baseline", "runs/base"], { cwd: repo });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/PASSED/);
    const bad = await runCli(["compare", "runs/base", "--baseline", "runs/cand", "--format", "json"], {
      cwd: repo,
    });
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.stdout) as { passed: boolean; failed: { name: string; reason: string }[] };
    expect(json.passed).toBe(false);
    expect(json.failed).toEqual([
      expect.objectContaining({ name: "accuracy", reason: "regressed-absolute" }),
      expect.objectContaining({ name: "loss", reason: "regressed-absolute" }),
    ]);
  });

  it("writes a Markdown report with the hidden marker for PR comments", async () => {
    const r = await runCli(
      ["compare", "runs/cand", "-b", "runs/base", "-f", "markdown", "-o", "out/report.md"],
      {
        cwd: repo,
      },
    );
    expect(r.code).toBe(0);
    const md = await readFile(join(repo, "out/report.md"), "utf8");
    expect(md.startsWith("<!-- modelship:report model=iris -->")).toBe(true);
    expect(md).toContain("xychart-beta");
  });

  it("registers the first version, is idempotent, then bumps minor for a better primary metric", async () => {
    const first = await runCli(["register", "runs/base", "--json"], { cwd: repo });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      outcome: "created",
      reason: "first-version",
      version: { version: "1.0.0" },
    });

    const again = await runCli(["register", "runs/base", "--json"], { cwd: repo });
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: "already-registered",
      version: { version: "1.0.0" },
    });

    const alias = await runCli(["models", "alias", "production", "1.0.0", "--reason", "first release"], {
      cwd: repo,
    });
    expect(alias.stdout).toContain("(unset) → v1.0.0");

    const second = await runCli(["register", "runs/cand", "--json"], { cwd: repo });
    expect(JSON.parse(second.stdout)).toMatchObject({
      outcome: "created",
      reason: "gates-passed",
      version: { version: "1.1.0", lineage: { parentVersion: "1.0.0" } },
    });
    const tags = execFileSync("git", ["tag", "--list"], { cwd: repo, encoding: "utf8" }).trim().split("\n");
    expect(tags).toEqual(["model/iris/v1.0.0", "model/iris/v1.1.0"]);
  });

  it("refuses to register a run that fails its gates against production, and writes no tag", async () => {
    await runCli(["models", "alias", "production", "1.1.0"], { cwd: repo });
    const worse = await addRun("iris-baseline", "worse", "other-bytes");
    const r = await runCli(["register", worse], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/not registered: a gate failed/);
    const tags = execFileSync("git", ["tag", "--list"], { cwd: repo, encoding: "utf8" }).trim().split("\n");
    expect(tags).toHaveLength(2);
  });

  it("lists, shows and tells alias history", async () => {
    const list = await runCli(["models", "list", "--json"], { cwd: repo });
    const versions = JSON.parse(list.stdout) as { version: string; aliases: string[] }[];
    expect(versions.map((v) => v.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(versions[0]?.aliases).toContain("production");

    const show = await runCli(["models", "show", "production"], { cwd: repo });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/iris v1\.1\.0/);
    expect(show.stdout).toMatch(/model\/model\.onnx/);

    const history = await runCli(["models", "history", "production", "--json"], { cwd: repo });
    const events = JSON.parse(history.stdout) as { version: string; reason?: string }[];
    expect(events.map((e) => e.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(events[1]?.reason).toBe("first release");

    const missing = await runCli(["models", "show", "9.9.9"], { cwd: repo });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\[version-not-found\]/);

    // An unknown version is refused before any router starts (the command exits, nothing listens).
    const deploy = await runCli(["deploy", "9.9.9", "--port", "0"], { cwd: repo, timeoutMs: 30_000 });
    expect(deploy.code).toBe(2);
    expect(deploy.stderr).toMatch(/\[version-not-found\]/);
    await expect(stat(join(repo, ".modelship/deploy/production.admin.json"))).rejects.toThrow();
  });
});
