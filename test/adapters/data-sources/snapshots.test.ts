import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { DataSnapshotSchema } from "../../../core/data/data-snapshot.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { dataConfig, fileEntry, makeDataRepo, removeRepo, TINY_ROWS } from "./data-fixtures.ts";

let repo: string;
beforeEach(async () => {
  repo = await makeDataRepo();
  const db = new DatabaseSync(join(repo, "data/penguins.sqlite"));
  db.exec("create table penguins (id integer primary key, island text, mass real, year integer)");
  const insert = db.prepare("insert into penguins (island, mass, year) values (?, ?, ?)");
  for (let i = 0; i < 30; i++)
    insert.run(["biscoe", "dream", "torgersen"][i % 3]!, 3000 + i * 10.5, 2007 + (i % 3));
  db.close();
});
afterEach(async () => removeRepo(repo));

describe("snapshots", () => {
  it("materialises rows.jsonl whose sha256 is the data version, and reuses it when nothing changed", async () => {
    const data = dataConfig([fileEntry("data/tiny.csv")]);
    const first = await pullData({ repoDir: repo, data });
    expect(first.reused).toBe(false);
    expect(first.snapshotDir).toBe(join(repo, ".modelship/data", first.snapshot.version));
    const rowsText = await readFile(join(first.snapshotDir!, "rows.jsonl"), "utf8");
    expect(createHash("sha256").update(rowsText).digest("hex")).toBe(first.snapshot.version);
    expect(rowsText.split("\n")[0]).toBe('{"colour":"red","height":1.5,"label":"a","weight":60}');
    const manifest = DataSnapshotSchema.parse(
      JSON.parse(await readFile(join(first.snapshotDir!, "snapshot.json"), "utf8")),
    );
    expect(manifest).toEqual(first.snapshot);
    expect(manifest.rows).toBe(4);

    const second = await pullData({ repoDir: repo, data });
    expect(second.reused).toBe(true);
    expect(second.rows).toEqual(TINY_ROWS);
    expect(second.snapshot).toEqual(first.snapshot);
    expect(second.origin(3)).toEqual({ source: "data/tiny.csv", row: 4 });

    await writeFile(join(repo, "data/tiny.csv"), "height,colour,weight,label\n2,red,1,a\n");
    const third = await pullData({ repoDir: repo, data });
    expect(third.reused).toBe(false);
    expect(third.snapshot.version).not.toBe(first.snapshot.version);
    const dirs = (await readdir(join(repo, ".modelship/data"))).filter((d) => /^[0-9a-f]{64}$/.test(d));
    expect(dirs.sort()).toEqual([first.snapshot.version, third.snapshot.version].sort());
  });

  it("re-reads the sources when a stored snapshot was tampered with", async () => {
    const data = dataConfig([fileEntry("data/tiny.csv")]);
    const first = await pullData({ repoDir: repo, data });
    await writeFile(join(first.snapshotDir!, "rows.jsonl"), '{"height":0}\n');
    const again = await pullData({ repoDir: repo, data });
    expect(again.reused).toBe(false);
    expect(again.rows).toEqual(TINY_ROWS);
    expect(
      createHash("sha256")
        .update(await readFile(join(again.snapshotDir!, "rows.jsonl")))
        .digest("hex"),
    ).toBe(first.snapshot.version);
  });

  it("leaves nothing behind when a source fails half way", async () => {
    await writeFile(join(repo, "data/bad.csv"), "height,colour,weight,label\n1,red,2,a\n3\n");
    const err = await pullData({
      repoDir: repo,
      data: dataConfig([fileEntry("data/tiny.csv"), fileEntry("data/bad.csv")]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect(await readdir(join(repo, ".modelship/data"))).toEqual([]);
  });

  it("reads SQLite with bound parameters, numbering rows of the query result", async () => {
    const data = await pullData({
      repoDir: repo,
      data: dataConfig([
        {
          kind: "sqlite",
          path: "data/penguins.sqlite",
          query: "select island, mass, year from penguins where year >= ? and island != ? order by id",
          params: [2008, "dream"],
        },
      ]),
      snapshotsDir: null,
    });
    expect(data.rows).toHaveLength(10);
    expect(data.rows[0]).toEqual({ island: "torgersen", mass: 3021, year: 2009 });
    expect(data.origin(9)).toEqual({ source: "data/penguins.sqlite", row: 10 });
    expect(data.snapshot.parts[0]!.source).toEqual({
      kind: "sqlite",
      path: "data/penguins.sqlite",
      query: "select island, mass, year from penguins where year >= ? and island != ? order by id",
    });
    expect(data.snapshot.columns).toEqual([
      { name: "island", type: "string", nulls: 0 },
      { name: "mass", type: "number", nulls: 0 },
      { name: "year", type: "integer", nulls: 0 },
    ]);
  });

  it.each([
    ["data/penguins.sqlite", "select * from nowhere", "data-sqlite-failed"],
    ["data/penguins.sqlite", "delete from penguins", "data-sqlite-failed"],
    ["../penguins.sqlite", "select 1", "data-path-outside-repo"],
    ["data/tiny.csv", "select 1", "data-sqlite-failed"],
  ])("refuses sqlite %s / %s with %s", async (path, query, code) => {
    const err = await pullData({
      repoDir: repo,
      data: dataConfig([{ kind: "sqlite", path, query, params: [] }]),
      snapshotsDir: null,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe(code);
    const db = new DatabaseSync(join(repo, "data/penguins.sqlite"), { readOnly: true });
    expect(db.prepare("select count(*) as n from penguins").get()).toEqual({ n: 30 });
    db.close();
  });
});
