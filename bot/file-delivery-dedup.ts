import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DeliveryDedup } from "./dedup-deliveries.ts";

/**
 * Delivery ids kept as one file each under `dir` (a volume that outlives the process, shared by
 * replicas): claiming creates the file exclusively (`wx`), so two processes cannot both claim an
 * id. Ids older than `retentionMs` are forgotten, at most once per `retentionMs / 10`.
 */
export function createFileDeliveryDedup(opts: {
  dir: string;
  retentionMs: number;
  now: () => Date;
}): DeliveryDedup {
  const pathOf = (id: string) => join(opts.dir, `${createHash("sha256").update(id).digest("hex")}.json`);
  let lastPrune = 0;
  const expired = async (path: string): Promise<boolean> => {
    try {
      const { at } = JSON.parse(await readFile(path, "utf8")) as { at?: unknown };
      return typeof at !== "number" || at < opts.now().getTime() - opts.retentionMs;
    } catch {
      return true;
    }
  };
  const prune = async (): Promise<void> => {
    const t = opts.now().getTime();
    if (t - lastPrune < opts.retentionMs / 10) return;
    lastPrune = t;
    for (const name of await readdir(opts.dir)) {
      const path = join(opts.dir, name);
      if (name.endsWith(".json") && (await expired(path))) await rm(path, { force: true });
    }
  };
  return {
    async claim(id) {
      await mkdir(opts.dir, { recursive: true });
      await prune();
      const path = pathOf(id);
      const record = JSON.stringify({ id, at: opts.now().getTime() });
      try {
        await writeFile(path, record, { flag: "wx" });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      if (!(await expired(path))) return false;
      await rm(path, { force: true });
      try {
        await writeFile(path, record, { flag: "wx" });
        return true;
      } catch {
        return false;
      }
    },
    async release(id) {
      await rm(pathOf(id), { force: true });
    },
  };
}
