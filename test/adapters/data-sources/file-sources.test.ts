import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tableFromJSON, tableToIPC } from "apache-arrow";
import { parquetMetadata } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { ModelshipError } from "../../../core/errors.ts";
import { dataConfig, fileEntry, makeDataRepo, removeRepo, TINY_ROWS } from "./data-fixtures.ts";

const SECRET = "hunter2-do-not-print";
let repo: string;
let outside: string;

beforeAll(async () => {
  outside = await makeDataRepo({ "secret.csv": `token,${SECRET}\n${SECRET},1\n` });
  repo = await makeDataRepo({
    "data/latin1.csv": Buffer.from("name,city\nZoë,Malmö\n", "latin1"),
    "data/bad.json": `{"rows": [${SECRET}]}`,
    "data/bad.jsonl": `{"a": 1}\n{"a": ${SECRET}}\n`,
    "data/quote.csv": `a,b\n"x${SECRET}"y,2\n`,
    "data/ragged.csv": `a,b\n1,2\n3\n`,
    "data/dup.csv": `a,a\n1,2\n`,
    "data/long.jsonl": `{"a": "${"x".repeat(3 * 1024)}"}\n`,
    "data/scalar.jsonl": `{"a": 1}\n42\n`,
    "data/other.csv": "height,colour\n1,red\n",
    "data/notes.txt": "hello\n",
    "data/sub/dir.csv/keep": "",
  });
  await symlink(join(outside, "secret.csv"), join(repo, "data/leak.csv"));
  await symlink("/dev/zero", join(repo, "data/zero.csv"));
  await symlink(join(repo, "data/tiny.csv"), join(repo, "data/inside.csv"));
  execFileSync("mkfifo", [join(repo, "data/fifo.csv")]);
});
afterAll(async () => {
  await removeRepo(repo);
  await removeRepo(outside);
});

const pull = (sources: Parameters<typeof dataConfig>[0], loading = {}) =>
  pullData({ repoDir: repo, data: dataConfig(sources, loading), snapshotsDir: null });

async function failure(p: Promise<unknown>): Promise<ModelshipError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelshipError);
  return err as ModelshipError;
}

describe("file sources", () => {
  it.each(["tiny.csv", "tiny.json", "tiny.jsonl", "tiny.parquet", "tiny.arrow", "inside.csv"])(
    "reads data/%s into the same rows and the same data version",
    async (name) => {
      const data = await pull([fileEntry(`data/${name}`)]);
      expect(data.rows).toEqual(TINY_ROWS);
      expect(data.columns).toEqual(["height", "colour", "weight", "label"]);
      const reference = await pull([fileEntry("data/tiny.csv")]);
      expect(data.snapshot.version).toBe(reference.snapshot.version);
      const bytes = await readFile(join(repo, "data", name));
      expect(data.snapshot.parts[0]!.source).toMatchObject({
        kind: "file",
        path: `data/${name}`,
        bytes: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
      });
      expect(data.snapshot.columns).toEqual([
        { name: "height", type: "number", nulls: 0 },
        { name: "colour", type: "string", nulls: 0 },
        { name: "weight", type: "integer", nulls: 1 },
        { name: "label", type: "string", nulls: 0 },
      ]);
    },
  );

  it("expands a glob inside the repository, sorted, and numbers rows per file", async () => {
    const data = await pull([fileEntry("data/tiny.{csv,jsonl}")]);
    expect(data.snapshot.parts.map((p) => p.source.kind === "file" && p.source.path)).toEqual([
      "data/tiny.csv",
      "data/tiny.jsonl",
    ]);
    expect(data.rows).toHaveLength(8);
    expect(data.origin(0)).toEqual({ source: "data/tiny.csv", row: 1 });
    expect(data.origin(5)).toEqual({ source: "data/tiny.jsonl", row: 2 });
    expect(() => data.origin(8)).toThrow(RangeError);
  });

  it("reads the 200,000-row Arrow IPC file shipped by vega-datasets", async () => {
    const data = await pullData({
      repoDir: join(import.meta.dirname, "../../.."),
      data: dataConfig([fileEntry("node_modules/vega-datasets/data/flights-200k.arrow")]),
      snapshotsDir: null,
    });
    expect(data.rows).toHaveLength(200_000);
    expect(Object.keys(data.rows[0]!)).toEqual(["delay", "distance", "time"]);
    expect(data.snapshot.columns.map((c) => c.type)).toEqual(["integer", "integer", "number"]);
  });

  it("decodes Latin-1 when the source names its encoding and refuses it as UTF-8", async () => {
    const err = await failure(pull([fileEntry("data/latin1.csv")]));
    expect(err.code).toBe("data-encoding-invalid");
    expect(err.problems[0]!.where).toEqual({ file: "data/latin1.csv", line: 2 });
    expect(err.message).toContain("encoding: latin1");
    const data = await pull([fileEntry("data/latin1.csv", { encoding: "latin1" })]);
    expect(data.rows).toEqual([{ name: "Zoë", city: "Malmö" }]);
    const unknown = await failure(pull([fileEntry("data/latin1.csv", { encoding: "klingon" })]));
    expect(unknown.code).toBe("data-encoding-unknown");
  });

  it.each([
    ["/etc/passwd", "data-path-outside-repo"],
    ["../secret.csv", "data-path-outside-repo"],
    ["data/../../secret.csv", "data-path-outside-repo"],
    ["/dev/zero", "data-path-outside-repo"],
    ["data/leak.csv", "data-path-outside-repo"],
    ["data/zero.csv", "data-path-outside-repo"],
    ["data/fifo.csv", "data-not-regular-file"],
    ["data/sub/dir.csv", "data-not-regular-file"],
    ["data/nope.csv", "data-unreadable"],
    ["data/*.parq", "data-glob-no-match"],
    ["data/notes.txt", "data-format-unknown"],
  ])("refuses %s with %s, before reading a byte", async (path, code) => {
    const err = await failure(pull([fileEntry(path)]));
    expect(err.code).toBe(code);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).toContain("data.sources[0]");
  });

  it.each([
    ["data/bad.json", "data-invalid-json", undefined],
    ["data/bad.jsonl", "data-invalid-jsonl", 2],
    ["data/quote.csv", "data-invalid-csv", 2],
    ["data/ragged.csv", "data-invalid-csv", 3],
    ["data/dup.csv", "data-csv-header-invalid", 1],
    ["data/scalar.jsonl", "data-row-not-object", 2],
    ["data/long.jsonl", "data-record-too-long", 1],
  ])("reports %s as %s at line %s without quoting the content", async (path, code, line) => {
    const err = await failure(pull([fileEntry(path)], { maxRecordKiB: 2 }));
    expect(err.code).toBe(code);
    if (line !== undefined) expect(err.problems[0]!.where?.line).toBe(line);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain("xxxx");
  });

  it("refuses sources whose columns differ, naming both", async () => {
    const err = await failure(pull([fileEntry("data/tiny.csv"), fileEntry("data/other.csv")]));
    expect(err.code).toBe("data-sources-columns-differ");
    expect(err.message).toContain("data/other.csv lacks 'weight', 'label'");
  });

  it("loads a 200,000-row CSV (no stack overflow) streaming with a small buffer", async () => {
    const lines = ["x,y,label"];
    for (let i = 0; i < 200_000; i++) lines.push(`${i},${(i * 7) % 13},${i % 2 ? "a" : "b"}`);
    await writeFile(join(repo, "data/big.csv"), `${lines.join("\n")}\n`);
    const data = await pull([fileEntry("data/big.csv")], { bufferMiB: 0.0625 });
    expect(data.rows).toHaveLength(200_000);
    expect(data.rows[199_999]).toEqual({ x: 199_999, y: (199_999 * 7) % 13, label: "a" });
    expect(data.origin(199_999)).toEqual({ source: "data/big.csv", row: 200_000 });
  });

  it("reads Parquet one row group at a time and Arrow in the stream format, rows in order", async () => {
    const n = 2500;
    const ids = Array.from({ length: n }, (_, i) => i);
    const parquet = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: ids },
          { name: "big", data: ids.map((i) => BigInt(i) * 10n ** 15n), type: "INT64" },
        ],
        rowGroupSize: 1000,
      }),
    );
    expect(parquetMetadata(parquet.buffer).row_groups).toHaveLength(3);
    await writeFile(join(repo, "data/groups.parquet"), parquet);
    const data = await pull([fileEntry("data/groups.parquet")]);
    expect(data.rows.map((r) => r.id)).toEqual(ids);
    // Past a double's exact integers: text rather than a rounded number.
    expect(data.rows[1]).toEqual({ id: 1, big: 1_000_000_000_000_000 });
    expect(data.rows[2499]).toEqual({ id: 2499, big: "2499000000000000000" });

    await writeFile(
      join(repo, "data/stream.arrows"),
      tableToIPC(tableFromJSON(ids.map((id) => ({ id }))), "stream"),
    );
    const stream = await pull([fileEntry("data/stream.arrows", { format: "arrow" })]);
    expect(stream.rows.map((r) => r.id)).toEqual(ids);
  });

  it("reads UTF-16 text with its encoding and refuses a file that is not Parquet", async () => {
    await writeFile(join(repo, "data/utf16.csv"), Buffer.from("\ufeffa,b\nÅ,1\n", "utf16le"));
    const data = await pull([fileEntry("data/utf16.csv", { encoding: "utf-16le" })]);
    expect(data.rows).toEqual([{ a: "Å", b: 1 }]);
    const err = await failure(pull([fileEntry("data/tiny.csv", { format: "parquet" })]));
    expect(err.code).toBe("data-invalid-parquet");
    const arrow = await failure(pull([fileEntry("data/tiny.csv", { format: "arrow" })]));
    expect(arrow.code).toBe("data-invalid-arrow");
  });

  it("reads the legacy data.source list first, with data.format", async () => {
    const data = await pullData({
      repoDir: repo,
      data: { ...dataConfig([fileEntry("data/tiny.jsonl")]), source: ["data/tiny.csv"] },
      snapshotsDir: null,
    });
    expect(data.rows).toEqual([...TINY_ROWS, ...TINY_ROWS]);
    const none = await failure(pullData({ repoDir: repo, data: dataConfig([]), snapshotsDir: null }));
    expect(none.code).toBe("data-source-missing");
  });
});
