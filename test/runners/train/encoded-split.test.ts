import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullData } from "../../../adapters/data-sources/pull-data.ts";
import { DataLoadingSchema } from "../../../core/config/data-sources-schema.ts";
import { isValidationRow } from "../../../core/data/split.ts";
import { fitPreprocessor } from "../../../core/features/preprocessor.ts";
import { encodeRows, encodeSplit, readEncoded } from "../../../runners/train/encoded-split.ts";

const root = join(import.meta.dirname, "../../..");
let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), "ms-encoded-"));
  await mkdir(join(repo, "data"));
  await copyFile(join(root, "examples/penguins/data/penguins.json"), join(repo, "data/penguins.json"));
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

const FEATURES = ["bill_length_mm", "flipper_length_mm", "island", "sex"];

describe("encodeSplit: both sides of the streaming split as float32 rows on disk", () => {
  it.each([
    { validationSplit: 0.2, seed: 42, batchRows: 7 },
    { validationSplit: 0.5, seed: 1, batchRows: 4096 },
  ])("holds every row of its side, encoded, in snapshot order (split $validationSplit)", async (c) => {
    const data = {
      source: ["data/penguins.json"],
      format: "auto" as const,
      sources: [],
      loading: DataLoadingSchema.parse({}),
    };
    const pulled = await pullData({ repoDir: repo, data, snapshotsDir: join(repo, ".snapshots") });
    const p = fitPreprocessor(pulled.rows, {
      features: FEATURES,
      target: "species",
      task: "classification",
      transforms: [
        { op: "impute", column: "bill_length_mm", strategy: "median" },
        { op: "impute", column: "flipper_length_mm", strategy: "mean" },
        { op: "standardize", column: "flipper_length_mm" },
        { op: "onehot", column: "island" },
        { op: "impute", column: "sex", strategy: "constant", value: "unknown" },
        { op: "onehot", column: "sex" },
      ],
    });
    const split = { validationSplit: c.validationSplit, seed: c.seed };
    const encoded = await encodeSplit({ snapshotDir: pulled.snapshotDir!, split, p, features: FEATURES });
    try {
      for (const side of ["train", "validation"] as const) {
        const rows = pulled.rows.filter((_, i) => isValidationRow(i, split) === (side === "validation"));
        const read: number[] = [];
        for await (const batch of readEncoded(encoded[side], c.batchRows)) {
          expect(batch.length).toBeLessThanOrEqual(c.batchRows * encoded[side].stride);
          read.push(...batch);
        }
        expect(encoded[side].rows).toBe(rows.length);
        expect(encoded[side].stride).toBe(p.outputWidth + 1);
        expect(read).toEqual([...encodeRows(p, FEATURES, rows)]);
      }
    } finally {
      encoded.remove();
    }
    expect(existsSync(dirname(encoded.train.path))).toBe(false);
  });
});
