import { createHash } from "node:crypto";
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Row } from "../../../adapters/data-sources/data-source.ts";
import { createFileSources } from "../../../adapters/data-sources/file-source.ts";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { readParquetRows } from "../../../adapters/data-sources/read-parquet-rows.ts";
import { createSnapshotWriter } from "../../../adapters/data-sources/snapshot-store.ts";
import type { FileSourceConfig } from "../../../core/config/data-sources-schema.ts";
import { lastRecordEnd } from "../../../adapters/data-sources/read-text-parallel.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { dataConfig, fileEntry, makeDataRepo, removeRepo } from "./data-fixtures.ts";

let repo: string;
const ROWS = 6000;

/** CSV with quoted fields holding commas, doubled quotes and newlines, CRLF endings and blank lines. */
function trickyCsv(): string {
  const lines = ["id,name,note,value"];
  for (let i = 0; i < ROWS; i++) {
    const note =
      i % 7 === 0 ? `"line one\r\nline ""two"", with comma"` : i % 5 === 0 ? `"a, b"` : `plain ${i}`;
    lines.push(`${i},name-${i % 13},${note},${i % 3 === 0 ? "" : (i * 0.25).toString()}`);
    if (i % 1000 === 999) lines.push("");
  }
  return `${lines.join("\r\n")}\r\n`;
}

function jsonl(): string {
  const out: string[] = [];
  for (let i = 0; i < ROWS; i++)
    out.push(JSON.stringify({ id: i, s: `x\n${i}`, ...(i % 2 ? { extra: true } : {}) }));
  return `${out.join("\n")}\n`;
}

beforeAll(async () => {
  // Record 4320 of 6000 (line 4322) has two fields instead of three.
  const ragged = ["id,note,value", ...Array.from({ length: ROWS }, (_, i) => `${i},"n, ${i}",${i}`)];
  ragged[4321] = "4320,only-two";
  repo = await makeDataRepo({
    "data/tricky.csv": trickyCsv(),
    "data/rows.jsonl": jsonl(),
    "data/ragged.csv": ragged.join("\r\n"),
    "data/badline.jsonl": jsonl().replace('{"id":3000,', '{"id":3000'),
  });
});
afterAll(async () => removeRepo(repo));

// A 16 KiB buffer cuts these files into dozens of pieces, many of them inside quoted fields.
const read = (path: string, workers: number) =>
  pullData({
    repoDir: repo,
    data: dataConfig([fileEntry(path)], { bufferMiB: 1 / 64, workers }),
    snapshotsDir: null,
  });

describe("parsing in worker threads", () => {
  it.each(["data/tricky.csv", "data/rows.jsonl"])(
    "gives %s the same rows and version as the main thread",
    async (path) => {
      const single = await read(path, 0);
      const parallel = await read(path, 2);
      expect(single.rows).toHaveLength(ROWS);
      expect(parallel.rows).toEqual(single.rows);
      expect(parallel.snapshot.version).toBe(single.snapshot.version);
      expect(parallel.origin(ROWS - 1)).toEqual(single.origin(ROWS - 1));
    },
  );

  it("keeps quoted newlines, doubled quotes and blanks as the main thread does", async () => {
    const data = await read("data/tricky.csv", 2);
    expect(data.rows[7]).toEqual({
      id: 7,
      name: "name-7",
      note: 'line one\r\nline "two", with comma',
      value: 1.75,
    });
    expect(data.rows[3]).toEqual({ id: 3, name: "name-3", note: "plain 3", value: null });
  });

  it.each([
    ["data/ragged.csv", "data-invalid-csv", 4322],
    ["data/badline.jsonl", "data-invalid-jsonl", 3001],
  ])("reports %s as %s at line %i with and without workers", async (path, code, line) => {
    const errors = await Promise.all(
      [0, 2].map((w) =>
        read(path, w).then(
          () => undefined,
          (e: unknown) => e as ModelshipError,
        ),
      ),
    );
    for (const err of errors) {
      expect(err).toBeInstanceOf(ModelshipError);
      expect(err!.code).toBe(code);
    }
    expect(errors[0]!.problems[0]!.where?.line).toBe(line);
    expect(errors[1]!.problems[0]!.where?.line).toBe(line);
  });

  it.each([
    ["a,b\n1,2\n3,4", 7],
    ['a,b\n"x\ny",2\n"open', 11],
    ['"only\nquoted', -1],
    ["no newline", -1],
  ])("finds the last record end in %j at %i", (text, at) => {
    expect(lastRecordEnd(text)).toBe(at);
  });
});

describe("columns parsed off the main thread", () => {
  it("splits quote-free CSV itself and matches csv-parse, blanks, CRLF and odd numbers included", async () => {
    const lines = ["id,x,name,flag"];
    for (let i = 0; i < ROWS; i++) {
      // Every 997th row has blanks around a field: that piece goes to csv-parse (trim).
      const name = i % 997 === 0 ? `  spaced ${i}\u00a0` : i % 11 === 0 ? "" : `n${i % 17}`;
      const x = [-i, i * 0.5, `${i}e3`, "-0", "1e999", "+7", ".5"][i % 7];
      lines.push(`${i},${x},${name},${i % 2 ? "yes" : ""}`);
      if (i % 1500 === 0) lines.push("");
    }
    await writeFile(join(repo, "data/plain.csv"), `${lines.join(ROWS % 2 ? "\n" : "\r\n")}\n`);
    const single = await read("data/plain.csv", 0);
    const parallel = await read("data/plain.csv", 2);
    expect(parallel.rows).toEqual(single.rows);
    expect(parallel.snapshot).toEqual(single.snapshot);
    expect(single.rows[2]).toEqual({ id: 2, x: 2000, name: "n2", flag: null });
    expect(single.rows[4]).toEqual({ id: 4, x: "1e999", name: "n4", flag: null });
    expect(parallel.rows[997]).toEqual({ id: 997, x: -0, name: "spaced 997", flag: "yes" });
  });

  it("decodes Parquet row groups in workers to the rows and version of the row-by-row reader", async () => {
    const n = 5000;
    const ids = Array.from({ length: n }, (_, i) => i);
    const columnData = [
      { name: "id", data: ids },
      {
        name: "delay",
        data: ids.map((i) => (i % 9 === 0 ? null : BigInt(i - 2500))),
        type: "INT64" as const,
      },
      { name: "big", data: ids.map((i) => BigInt(i) * 10n ** 11n), type: "INT64" as const },
      { name: "w", data: ids.map((i) => (i % 4 === 0 ? null : i / 8)) },
      { name: "city", data: ids.map((i) => (i % 5 === 0 ? null : `c\u00e9${i % 7}`)) },
      { name: "when", data: ids.map((i) => new Date(Date.UTC(2001, 0, 1, 0, Math.floor(i / 3)))) },
      { name: "ok", data: ids.map((i) => i % 3 === 0) },
    ];
    await writeFile(
      join(repo, "data/groups.parquet"),
      new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 700 })),
    );
    const parallel = await read("data/groups.parquet", 2);
    const handle = await open(join(repo, "data/groups.parquet"));
    const rows: Row[] = [];
    const writer = await createSnapshotWriter(undefined);
    const bytes = (await handle.stat()).size;
    for await (const batch of readParquetRows({ handle, bytes, path: "p", batchRows: 999 })) {
      for (const row of batch) {
        rows.push(row);
        writer.add(row);
      }
    }
    await handle.close();
    const reference = await writer.finish({ rows: n, columns: [], parts: [] });
    expect(parallel.rows).toEqual(rows);
    expect(parallel.snapshot.version).toBe(reference.snapshot.version);
    expect(parallel.rows[9]).toEqual({
      id: 9,
      delay: null,
      big: 900_000_000_000,
      w: 1.125,
      city: "cé2",
      when: "2001-01-01T00:03:00.000Z",
      ok: true,
    });
    expect(parallel.snapshot.columns.map((c) => `${c.name}:${c.type}:${c.nulls}`)).toEqual([
      "id:integer:0",
      "delay:integer:556",
      "big:integer:0",
      "w:number:1250",
      "city:string:1000",
      "when:string:0",
      "ok:boolean:0",
    ]);
  });
});

describe("file hashes", () => {
  it.each([false, true])(
    "are of the bytes the rows came from when the file changes after it is opened (hashFirst %s)",
    async (hashFirst) => {
      const path = `data/changing-${hashFirst}.csv`;
      await writeFile(join(repo, path), "a,b\n1,2\n");
      const [source] = await createFileSources(fileEntry(path) as FileSourceConfig, {
        repoDir: repo,
        bufferBytes: 1 << 16,
        maxRecordChars: 1 << 16,
        at: "data.sources[0]",
        workers: 0,
        hashFirst,
      });
      const replaced = "a,b\n3,4\n5,6\n";
      await writeFile(join(repo, path), replaced);
      const rows: Row[] = [];
      for await (const batch of source!.read({ batchRows: 10 })) rows.push(...batch);
      expect(rows).toEqual([
        { a: 3, b: 4 },
        { a: 5, b: 6 },
      ]);
      const d = source!.description as { sha256: string; bytes: number };
      expect(d.sha256).toBe(createHash("sha256").update(replaced).digest("hex"));
    },
  );
});

describe("JSON arrays", () => {
  it("are streamed element by element: a large array gives the rows and version of its JSON-lines", async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({
      id: i,
      s: i % 3 ? `a [x], {y}: "q" \\ ${i}` : null,
      nested: i % 5 ? { k: [i, "]"] } : [],
    }));
    await writeFile(
      join(repo, "data/big.json"),
      `[\n${rows.map((r) => JSON.stringify(r, null, 1)).join(",\n")}\n]\n`,
    );
    await writeFile(join(repo, "data/big.jsonl"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const array = await read("data/big.json", 0);
    const lines = await read("data/big.jsonl", 0);
    expect(array.rows).toHaveLength(50_000);
    expect(array.rows).toEqual(rows);
    expect(array.snapshot.version).toBe(lines.snapshot.version);
  });

  it.each([
    ['[{"a": 1},\n{"a": 2},\n{"a": }]', "data-invalid-json", 3],
    ['[{"a": 1},\n 7]', "data-row-not-object", 2],
    ['[{"a": 1}] x', "data-invalid-json", 1],
    ['[{"a": 1},\n{"a": 2}', "data-invalid-json", 2],
    ['{"a": [1]}', "data-invalid-json", 1],
  ])("refuses %j with %s at line %i", async (text, code, line) => {
    await writeFile(join(repo, "data/odd.json"), text);
    const err = await read("data/odd.json", 0).then(
      () => undefined,
      (e: unknown) => e as ModelshipError,
    );
    expect(err?.code).toBe(code);
    expect(err?.problems[0]?.where?.line).toBe(line);
  });
});
