import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { RUN_FILES, type RunRecord } from "../../core/run/run-record.ts";
import { readRunDir as readRunDirRecord } from "../run-dir/read-run-dir.ts";
import type { Artifact } from "../../core/registry/registry-port.ts";

export type RunDirFile = Artifact & { absolute: string };

/** Every regular file of a run directory (sorted, `/`-separated paths) with its digest, and its validated run.json. */
export async function listRunFiles(runDir: string): Promise<{ record: RunRecord; files: RunDirFile[] }> {
  const files: RunDirFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(runDir, rel), { withFileTypes: true });
    } catch (err) {
      throw new ModelshipError({
        code: "run-dir-unreadable",
        message: `cannot read run directory ${join(runDir, rel)}: ${(err as Error).message}`,
        where: { file: join(runDir, rel) },
      });
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const bad = unstorableName(e.name);
      if (bad) throw unstorable(runDir, path, bad);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) {
        const absolute = join(runDir, path);
        const bytes = await readFile(absolute);
        files.push({
          path,
          absolute,
          bytes: bytes.length,
          sha256: createHash("sha256").update(bytes).digest("hex"),
        });
      } else {
        const kind = e.isSymbolicLink() ? "a symbolic link" : "a special file (device, socket or FIFO)";
        throw unstorable(runDir, path, `is ${kind}; only regular files and directories are stored`);
      }
    }
  };
  await walk("");
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const missing = [RUN_FILES.record, RUN_FILES.model].filter((p) => !files.some((f) => f.path === p));
  if (missing.length) {
    throw new ModelshipError({
      code: "run-dir-incomplete",
      message: `run directory ${runDir} has no ${missing.join(" and no ")}`,
      where: { file: runDir },
      hint: "Register the directory a training run wrote (it holds run.json and model/model.onnx).",
    });
  }
  const { record } = await readRunDirRecord(runDir);
  return { record, files };
}

/** Why git (and a release asset name) cannot store a file or directory name, or undefined when it can. */
export function unstorableName(name: string): string | undefined {
  if (name.toLowerCase() === ".git") return "is a .git directory or file (git never stores one)";
  if (name === "." || name === "..") return "is not a name";
  if (/[\u0000-\u001f\u007f]/.test(name)) return "has a control character in its name";
  if (name.includes("\\")) return "has a backslash in its name (a path separator on Windows)";
  if (!isWellFormed(name)) return "has a name that is not valid UTF-8";
  return undefined;
}

function isWellFormed(name: string): boolean {
  return !name.includes("\uFFFD") && Buffer.from(name, "utf8").toString("utf8") === name;
}

function unstorable(runDir: string, path: string, why: string): ModelshipError {
  return new ModelshipError({
    code: "run-dir-unstorable",
    message: `${path} in ${runDir} ${why}; nothing was registered`,
    where: { file: join(runDir, path) },
    hint: "Remove or rename it (copy linked files into the run directory), then register again.",
  });
}
