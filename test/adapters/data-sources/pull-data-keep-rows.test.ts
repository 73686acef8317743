import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { dataConfig, fileEntry, makeDataRepo, removeRepo, TINY_ROWS } from "./data-fixtures.ts";

let repo: string;
beforeAll(async () => {
  repo = await makeDataRepo();
});
afterAll(async () => {
  await removeRepo(repo);
});

const sources = [fileEntry("data/tiny.csv"), fileEntry("data/tiny.jsonl"), fileEntry("data/tiny.parquet")];

describe("pullData({ keepRows: false }): the snapshot without the rows in memory", () => {
  it.each([
    { name: "a fresh pull", store: "fresh" },
    { name: "a pull that reuses the stored snapshot", store: "reused" },
  ])(
    "$name: no rows back, the same version, counts, schema and origins as a kept pull",
    async ({ store }) => {
      const snapshotsDir = join(repo, `.snapshots-${store}`);
      const data = dataConfig(sources);
      if (store === "reused") await pullData({ repoDir: repo, data, snapshotsDir });
      const kept = await pullData({ repoDir: repo, data, snapshotsDir: null });
      const dropped = await pullData({ repoDir: repo, data, snapshotsDir, keepRows: false });
      expect(dropped.rows).toEqual([]);
      expect(dropped.reused).toBe(store === "reused");
      expect(dropped.snapshot.version).toBe(kept.snapshot.version);
      expect(dropped.snapshot.rows).toBe(3 * TINY_ROWS.length);
      expect(dropped.snapshot.parts.map((p) => p.rows)).toEqual([4, 4, 4]);
      expect(dropped.columns).toEqual(kept.columns);
      expect(dropped.origin(5)).toEqual(kept.origin(5));
      // The rows are on disk, as the kept pull has them.
      const lines = (await readFile(join(dropped.snapshotDir!, "rows.jsonl"), "utf8")).trim().split("\n");
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(kept.rows);
    },
  );
});
