import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { loadData } from "../../../runners/train/load-data.ts";

const repoDir = join(import.meta.dirname, "../../..");
const fixtures = "test/fixtures/data";
const expected = [
  { height: 1.5, colour: "red", weight: 60, label: "a" },
  { height: 1.7, colour: "blue", weight: null, label: "b" },
  { height: 1.6, colour: "green", weight: 70, label: "a" },
  { height: 1.8, colour: "red", weight: 80, label: "b" },
];

describe("loadData", () => {
  it.each([["tiny.csv"], ["tiny.json"], ["tiny.jsonl"]])(
    "reads %s into the same rows, numbers parsed and blanks null",
    async (name) => {
      const data = await loadData({ repoDir, sources: [`${fixtures}/${name}`], format: "auto" });
      expect(data.rows).toEqual(expected);
      expect(data.columns).toEqual(["height", "colour", "weight", "label"]);
      const bytes = await readFile(join(repoDir, fixtures, name));
      const sha = createHash("sha256").update(bytes).digest("hex");
      expect(data.files).toEqual([
        { path: `${fixtures}/${name}`, sha256: sha, bytes: bytes.length, rows: 4 },
      ]);
      expect(data.fingerprint).toBe(sha);
    },
  );

  it("fingerprints several files over all their bytes in order", async () => {
    const sources = [`${fixtures}/tiny.csv`, `${fixtures}/tiny.json`];
    const data = await loadData({ repoDir, sources, format: "auto" });
    expect(data.rows).toHaveLength(8);
    const all = createHash("sha256");
    for (const s of sources) all.update(await readFile(join(repoDir, s)));
    expect(data.fingerprint).toBe(all.digest("hex"));
    const swapped = await loadData({ repoDir, sources: [...sources].reverse(), format: "auto" });
    expect(swapped.fingerprint).not.toBe(data.fingerprint);
  });

  it.each([
    [[`${fixtures}/broken.jsonl`], "data-invalid-jsonl", 2],
    [[`${fixtures}/ragged.csv`], "data-invalid-csv", undefined],
    [[`${fixtures}/nope.csv`], "data-unreadable", undefined],
    [["vitest.config.ts"], "data-format-unknown", undefined],
    [[], "data-source-missing", undefined],
  ])("rejects %j with %s", async (sources, code, line) => {
    const err = await loadData({ repoDir, sources, format: "auto" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelshipError);
    expect((err as ModelshipError).code).toBe(code);
    if (line) expect((err as ModelshipError).problems[0]?.where?.line).toBe(line);
  });
});
