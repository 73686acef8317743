import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeConfigRepo } from "./config-repo.ts";
import { runCli } from "./run-cli.ts";
import { removeRepo } from "../adapters/data-sources/data-fixtures.ts";

const TINY = "height,colour,weight,label\n1.5,red,60,a\n1.7,blue,,b\n";
let repo: string | undefined;
afterEach(async () => removeRepo(repo));

describe("modelship data pull", () => {
  it("materialises the snapshot once and reuses it while the files are unchanged", async () => {
    repo = await makeConfigRepo({
      // A 16-byte buffer sends these files through the worker threads, in a real process.
      config:
        'data:\n  loading: { bufferMiB: 0.000016, workers: 2 }\n  sources:\n    - { kind: file, path: "data/*.csv" }\n',
      files: { "data/a.csv": TINY, "data/b.csv": TINY },
    });
    const first = await runCli(["data", "pull", "--json"], { cwd: repo });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const manifest = JSON.parse(first.stdout) as {
      version: string;
      rows: number;
      reused: boolean;
      snapshotDir: string;
    };
    expect(manifest).toMatchObject({ rows: 4, reused: false });
    const rows = await readFile(join(repo, ".modelship/data", manifest.version, "rows.jsonl"));
    expect(createHash("sha256").update(rows).digest("hex")).toBe(manifest.version);

    const second = await runCli(["data", "pull"], { cwd: repo });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`data version ${manifest.version}`);
    expect(second.stdout).toContain("unchanged, reused");
    expect(second.stdout).toContain("2 rows from file data/b.csv");
  });

  it.each([
    [
      'data:\n  sources:\n    - { kind: postgres, url: "postgres://u:pw@db/x", query: select 1 }\n',
      "data.sources.0.url",
    ],
  ])("exits 2 on a bad source: %s", async (config, expected) => {
    repo = await makeConfigRepo({ config });
    const res = await runCli(["data", "pull"], { cwd: repo });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(expected);
    expect(res.stderr).not.toContain("pw@");
  });
});
