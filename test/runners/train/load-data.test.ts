import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { loadData, runRecordData } from "../../../runners/train/load-data.ts";

const repoDir = join(import.meta.dirname, "../../..");
const fixtures = "test/fixtures/data";
const expected = [
  { height: 1.5, colour: "red", weight: 60, label: "a" },
  { height: 1.7, colour: "blue", weight: null, label: "b" },
  { height: 1.6, colour: "green", weight: 70, label: "a" },
  { height: 1.8, colour: "red", weight: 80, label: "b" },
];
// The snapshot's rows.jsonl: one canonical (keys sorted) JSON object per line.
const canonical = expected
  .map(
    (r) =>
      `{"colour":${JSON.stringify(r.colour)},"height":${r.height},"label":"${r.label}","weight":${r.weight}}\n`,
  )
  .join("");
const version = createHash("sha256").update(canonical).digest("hex");

describe("loadData", () => {
  it.each([["tiny.csv"], ["tiny.json"], ["tiny.jsonl"]])(
    "reads %s into the same rows and the same data version",
    async (name) => {
      const data = await loadData({
        repoDir,
        sources: [`${fixtures}/${name}`],
        format: "auto",
        snapshotsDir: null,
      });
      expect(data.rows).toEqual(expected);
      expect(data.columns).toEqual(["height", "colour", "weight", "label"]);
      const bytes = await readFile(join(repoDir, fixtures, name));
      const sha = createHash("sha256").update(bytes).digest("hex");
      expect(data.files).toEqual([
        { path: `${fixtures}/${name}`, sha256: sha, bytes: bytes.length, rows: 4 },
      ]);
      expect(data.fingerprint).toBe(version);
      expect(runRecordData(data)).toMatchObject({ fingerprint: version, version, rows: 4 });
    },
  );

  it("versions the concatenated rows, so the order of sources matters", async () => {
    const sources = [`${fixtures}/tiny.csv`, `${fixtures}/regression.csv`];
    const data = await loadData({ repoDir, sources, format: "auto", snapshotsDir: null }).catch(
      (e: unknown) => e,
    );
    // Different columns cannot be concatenated.
    expect((data as ModelshipError).code).toBe("data-sources-columns-differ");
    const two = await loadData({
      repoDir,
      sources: [`${fixtures}/tiny.csv`, `${fixtures}/tiny.json`],
      format: "auto",
      snapshotsDir: null,
    });
    expect(two.rows).toHaveLength(8);
    expect(two.fingerprint).toBe(
      createHash("sha256")
        .update(canonical + canonical)
        .digest("hex"),
    );
    expect(two.origin(4)).toEqual({ source: `${fixtures}/tiny.json`, row: 1 });
  });

  it.each([
    [[`${fixtures}/broken.jsonl`], "data-invalid-jsonl", 2],
    [[`${fixtures}/ragged.csv`], "data-invalid-csv", undefined],
    [[`${fixtures}/nope.csv`], "data-unreadable", undefined],
    [["vitest.config.ts"], "data-format-unknown", undefined],
    [[], "data-source-missing", undefined],
  ])("rejects %j with %s", async (sources, code, line) => {
    const err = await loadData({ repoDir, sources, format: "auto", snapshotsDir: null }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe(code);
    if (line) expect((err as ModelshipError).problems[0]?.where?.line).toBe(line);
  });
});
