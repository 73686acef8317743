import { describe, expect, it } from "vitest";
import {
  combineColumns,
  createRowSerializer,
  createSchemaTracker,
  describeSource,
  locateRow,
  type SnapshotPart,
} from "../../../core/data/data-snapshot.ts";
import { canonicalJson } from "../../../core/data/sha256.ts";

const file = (path: string) => ({
  kind: "file" as const,
  path,
  format: "csv" as const,
  bytes: 1,
  sha256: "0".repeat(64),
});
const parts: SnapshotPart[] = [
  { source: file("a.csv"), firstRow: 0, rows: 3 },
  { source: file("empty.csv"), firstRow: 3, rows: 0 },
  { source: { kind: "postgres", server: "db:5432/x", query: "select 1" }, firstRow: 3, rows: 2 },
];

describe("locateRow", () => {
  it.each([
    [0, "a.csv", 1],
    [2, "a.csv", 3],
    [3, "postgres db:5432/x", 1],
    [4, "postgres db:5432/x", 2],
  ])("row %i is row %s:%i", (index, source, row) => {
    const at = locateRow(parts, index)!;
    expect({ source: describeSource(at.source), row: at.row }).toEqual({ source, row });
  });
  it.each([-1, 5, 100])("row %i is in no part", (index) => {
    expect(locateRow(parts, index)).toBeUndefined();
  });
});

describe("createSchemaTracker", () => {
  it.each([
    [[{ a: 1 }, { a: 2 }], { type: "integer", nulls: 0 }],
    [[{ a: 1 }, { a: 2.5 }], { type: "number", nulls: 0 }],
    [[{ a: 1 }, { a: "x" }], { type: "mixed", nulls: 0 }],
    [[{ a: null }, { a: "x" }, {}], { type: "string", nulls: 2 }],
    [[{ a: null }], { type: "null", nulls: 1 }],
    [[{ a: true }], { type: "boolean", nulls: 0 }],
    [[{ a: { b: 1 } }], { type: "object", nulls: 0 }],
  ])("types %j as %j", (rows, expected) => {
    const t = createSchemaTracker();
    rows.forEach((r) => t.add(r));
    expect(t.columns()).toEqual([{ name: "a", ...expected }]);
  });
});

describe("combineColumns", () => {
  it("merges types, sums nulls and counts a missing column as null rows", () => {
    expect(
      combineColumns([
        {
          rows: 3,
          columns: [
            { name: "a", type: "integer", nulls: 1 },
            { name: "b", type: "string", nulls: 0 },
          ],
        },
        { rows: 2, columns: [{ name: "a", type: "number", nulls: 0 }] },
        {
          rows: 4,
          columns: [
            { name: "a", type: "null", nulls: 4 },
            { name: "c", type: "boolean", nulls: 0 },
          ],
        },
      ]),
    ).toEqual([
      { name: "a", type: "number", nulls: 5 },
      { name: "b", type: "string", nulls: 6 },
      { name: "c", type: "boolean", nulls: 5 },
    ]);
  });
});

describe("createRowSerializer", () => {
  const serialize = createRowSerializer(canonicalJson);
  it.each([
    [{ b: 1, a: "x" }],
    [{ a: "x", b: 1 }],
    [{ z: null, y: true, x: false, w: -0, v: 1e21, u: 1.5e-7 }],
    [{ q: 'quo"te\n', n: Number.NaN, i: Number.POSITIVE_INFINITY }],
    [{ nested: { b: [1, { d: 2, c: 3 }], a: null }, k: "v" }],
    [{ gone: undefined, kept: 1 }],
    [{}],
  ])("writes %j exactly as canonicalJson does", (row) => {
    expect(serialize(row)).toBe(canonicalJson(row));
    // Twice: the second time uses the cached key layout.
    expect(serialize(row)).toBe(canonicalJson(row));
  });
});
