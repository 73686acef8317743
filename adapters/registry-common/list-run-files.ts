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
        throw new ModelshipError({
          code: "run-dir-unreadable",
          message: `${path} in ${runDir} is not a regular file (symbolic links and devices are not stored)`,
          where: { file: join(runDir, path) },
          hint: "Copy the file into the run directory instead of linking it.",
        });
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
