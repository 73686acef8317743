import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { RunRecord } from "../../../core/run/run-record.ts";

const exec = promisify(execFile);

/** Runs git in `cwd`, returning trimmed stdout; stdin when given. */
export async function git(cwd: string, args: string[], input?: string): Promise<string> {
  if (input !== undefined) {
    return new Promise((resolve, reject) => {
      const child = execFile("git", args, { cwd }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      );
      child.stdin?.end(input);
    });
  }
  return (await exec("git", args, { cwd, maxBuffer: 64 << 20 })).stdout.trim();
}

export async function tempDir(prefix = "modelship-registry-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A fresh repository with an identity; with `commit`, one commit holding train.py. */
export async function makeRepo(opts: { commit?: boolean; bare?: boolean } = {}): Promise<string> {
  const dir = await tempDir("modelship-repo-");
  await git(dir, ["init", "-q", ...(opts.bare ? ["--bare"] : []), "-b", "main"]);
  await git(dir, ["config", "user.name", "Test User"]);
  await git(dir, ["config", "user.email", "test@example.com"]);
  if (opts.commit) {
    await writeFile(join(dir, "train.py"), "print('train')\n");
    await git(dir, ["add", "train.py"]);
    await git(dir, ["commit", "-q", "-m", "initial"]);
  }
  return dir;
}

export type RunDirOptions = {
  runId: string;
  name?: string;
  model?: Buffer;
  metrics?: Record<string, number>;
  commit?: string | null;
  branch?: string | null;
  extraFiles?: Record<string, string | Buffer>;
};

/** A small but valid run directory (RUN_FILES layout); the model bytes are opaque to the registry. */
export async function makeRunDir(opts: RunDirOptions): Promise<string> {
  const dir = await tempDir("modelship-run-");
  const metrics = opts.metrics ?? { accuracy: 0.9, loss: 0.3 };
  const record: RunRecord = {
    schemaVersion: 1,
    runId: opts.runId,
    model: { name: opts.name ?? "iris", task: "classification" },
    trainer: "builtin",
    backend: "cpu",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    durationMs: 60000,
    timings: {},
    code: { commit: opts.commit ?? null, dirty: false, branch: opts.branch ?? null },
    data: { fingerprint: "sha256:feed", files: [] },
    params: { epochs: 5, learningRate: 0.01 },
    metrics,
    signature: {
      inputs: [{ name: "features", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "probabilities", datatype: "FP32", shape: [-1, 3] }],
      labels: ["setosa", "versicolor", "virginica"],
    },
  };
  const files: Record<string, string | Buffer> = {
    "run.json": JSON.stringify(record, null, 2),
    "metrics.json": JSON.stringify(metrics),
    "params.json": JSON.stringify(record.params),
    "model/model.onnx": opts.model ?? Buffer.from([0x08, 0x07, 0x12, 0x00, 0xff, 0x0d, 0x0a, 0x1a]),
    "model/preprocess.json": JSON.stringify({ transforms: [] }),
    "MODEL_CARD.md": `# ${opts.name ?? "iris"}\r\nline endings kept\n`,
    ...opts.extraFiles,
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}
