import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { createVersionMetadata } from "../../../core/registry/version-metadata.ts";
import { RunRecordSchema } from "../../../core/run/run-record.ts";
import { trainRun } from "../../../runners/train/train-run.ts";

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), "ms-train-sources-"));
  await mkdir(join(repo, "data"));
  await copyFile(join(import.meta.dirname, "../../fixtures/data/regression.csv"), join(repo, "data/a.csv"));
  // The same rows once more, from SQLite: the sources are concatenated.
  const db = new DatabaseSync(join(repo, "data/more.sqlite"));
  db.exec("create table r (x1 real, x2 real, zone text, y real)");
  const insert = db.prepare("insert into r values (?, ?, ?, ?)");
  const lines = (await readFile(join(repo, "data/a.csv"), "utf8")).trim().split("\n").slice(1);
  for (const line of lines) {
    const [x1, x2, zone, y] = line.split(",");
    insert.run(Number(x1), Number(x2), zone!, Number(y));
  }
  db.close();
});
afterEach(async () => rm(repo, { recursive: true, force: true }));

describe("training on data.sources", () => {
  it("records the data version, schema and sources in the run and the version lineage, and gives the same version to the same data", async () => {
    const config = ConfigSchema.parse({
      model: { name: "reg", task: "regression", target: "y" },
      data: {
        sources: [
          { kind: "file", path: "data/*.csv" },
          {
            kind: "sqlite",
            path: "data/more.sqlite",
            query: "select x1, x2, zone, y from r where y > ?",
            params: [-1e9],
          },
        ],
        transforms: [{ op: "onehot", column: "zone" }],
      },
      train: { params: { epochs: 2 } },
    });
    const runsDir = join(repo, ".modelship/runs");
    const { record } = await trainRun({ config, repoDir: repo, runsDir, runId: "one", progress: "silent" });
    const data = RunRecordSchema.parse(record).data;
    const rows = await readFile(join(repo, ".modelship/data", data.version!, "rows.jsonl"));
    expect(createHash("sha256").update(rows).digest("hex")).toBe(data.version);
    expect(data.fingerprint).toBe(data.version);
    expect(data.rows).toBe(rows.toString().trim().split("\n").length);
    expect(data.sources?.map((s) => s.kind)).toEqual(["file", "sqlite"]);
    expect(data.columns?.map((c) => `${c.name}:${c.type}`)).toEqual([
      "x1:number",
      "x2:number",
      "zone:string",
      "y:number",
    ]);
    expect(data.files.map((f) => f.path)).toEqual(["data/a.csv"]);

    const meta = createVersionMetadata(
      { name: "reg", now: new Date("2026-01-01T00:00:00Z") },
      { version: "1.0.0", parentVersion: null },
      { record, artifacts: [{ path: "model.onnx", sha256: "0".repeat(64), bytes: 1 }] },
    );
    expect(meta.lineage.data).toEqual({
      version: data.version,
      rows: data.rows,
      sources: ["data/a.csv", "data/more.sqlite"],
    });

    const again = await trainRun({ config, repoDir: repo, runsDir, runId: "two", progress: "silent" });
    expect(again.record.data.version).toBe(data.version);
  }, 120_000);
});
