import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CLASSIFIER_WEIGHTS, linearClassifierModel } from "../fixtures/onnx/make-models.ts";
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

/** A small real ONNX classifier; `bias` makes the bytes of two runs differ. */
function realModel(bias = 0): Buffer {
  return Buffer.from(
    linearClassifierModel(
      CLASSIFIER_WEIGHTS.w,
      CLASSIFIER_WEIGHTS.b.map((b) => b + bias),
    ),
  );
}

async function addRun(name: string, as: string, model: Buffer | string = realModel()): Promise<string> {
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
    const worse = await addRun("iris-baseline", "worse", realModel(0.5));
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

  const tags = () => execFileSync("git", ["tag", "--list"], { cwd: repo, encoding: "utf8" }).trim();

  it("refuses a truncated ONNX model after loading it, and writes no tag", async () => {
    const before = tags();
    const cut = await addRun("iris-candidate", "truncated", realModel(0.25).subarray(0, 40));
    const t0 = performance.now();
    const r = await runCli(["register", cut, "--allow-failed-gates"], { cwd: repo });
    const ms = performance.now() - t0;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /model\/model\.onnx: cannot be loaded: .*Protobuf parsing failed.*nothing was registered[\s\S]*\[model-load-failed\]/,
    );
    expect(tags()).toBe(before);
    console.log(`register refused a truncated model in ${ms.toFixed(0)} ms (whole CLI process)`);
  });

  it.each([
    [
      "a .git directory",
      async (dir: string) =>
        mkdir(join(dir, ".git", "objects"), { recursive: true }).then(() =>
          writeFile(join(dir, ".git", "HEAD"), "ref: x\n"),
        ),
      /\.git in .* is a \.git directory/,
    ],
    [
      "a symbolic link out of the run",
      async (dir: string) => symlink("/etc/hostname", join(dir, "notes.txt")),
      /notes\.txt in .* is a symbolic link/,
    ],
    [
      "a FIFO",
      async (dir: string) => void execFileSync("mkfifo", [join(dir, "pipe")]),
      /pipe in .* is a special file/,
    ],
    [
      "a name with a newline",
      async (dir: string) => writeFile(join(dir, "a\nb.txt"), "x"),
      /has a control character/,
    ],
  ])("refuses a run directory holding %s, naming the path, before writing anything", async (_, add, why) => {
    const before = tags();
    const dir = await addRun("iris-candidate", `bad-${Math.random().toString(36).slice(2)}`, realModel(0.75));
    await add(dir);
    const r = await runCli(["register", dir, "--allow-failed-gates"], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toMatch(/\[run-dir-unstorable\]/);
    expect(tags()).toBe(before);
  });

  it("re-checks a cached version on every use: a tampered copy is refused and fetched again", async () => {
    const cached = join(repo, ".modelship/versions/iris/1.0.0/model/model.onnx");
    const first = await runCli(["compare", "runs/cand", "--baseline", "1.0.0"], { cwd: repo });
    expect(first.stderr).not.toMatch(/cache-digest-mismatch/);
    const good = await readFile(cached);
    await writeFile(cached, Buffer.concat([good.subarray(0, 20), Buffer.from("tampered")]));
    const again = await runCli(["compare", "runs/cand", "--baseline", "1.0.0"], { cwd: repo });
    expect(again.code).toBe(first.code);
    expect(again.stderr).toMatch(
      /warning: .*versions\/iris\/1\.0\.0: cached copy: model\/model\.onnx has sha256 [\s\S]*\[cache-digest-mismatch\]/,
    );
    expect(await readFile(cached)).toEqual(good);
    const third = await runCli(["compare", "runs/cand", "--baseline", "1.0.0"], { cwd: repo });
    expect(third.stderr).not.toMatch(/cache-digest-mismatch/);
  });

  it("12 concurrent commands on a cold cache all succeed and leave one verified copy", async () => {
    await rm(join(repo, ".modelship/versions"), { recursive: true, force: true });
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? runCli(["register", "runs/cand", "--json"], { cwd: repo })
          : runCli(["compare", "runs/cand", "--baseline", "1.0.0", "--format", "json"], { cwd: repo }),
      ),
    );
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/ENOTEMPTY|EEXIST/);
      expect(r.code, r.stderr).toBe(0);
    }
    const left = await readdir(join(repo, ".modelship/versions/iris"));
    expect(left.sort()).toEqual(["1.0.0", "1.1.0"].filter((v) => left.includes(v)));
    expect(left).toContain("1.0.0");
  }, 120_000);
});
