import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
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
