import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../core/config/parse-config.ts";

describe("data.sources in the config", () => {
  it("fills every default of each kind", () => {
    const result = parseConfig(
      [
        "data:",
        "  sources:",
        "    - { kind: file, path: data/*.csv }",
        "    - { kind: http, url: 'https://api.test/v1/rows' }",
        "    - { kind: sqlite, path: d.sqlite, query: select 1 }",
        "    - { kind: postgres, url: '${DATABASE_URL}', query: select 1 }",
      ].join("\n"),
      "m.yml",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.data.sources).toEqual([
      { kind: "file", path: "data/*.csv", format: "auto" },
      {
        kind: "http",
        url: "https://api.test/v1/rows",
        records: "$",
        pagination: { type: "none" },
        headers: {},
        maxPages: 1000,
        maxRows: 10_000_000,
        retries: 5,
        timeoutSeconds: 30,
      },
      { kind: "sqlite", path: "d.sqlite", query: "select 1", params: [] },
      { kind: "postgres", url: "${DATABASE_URL}", query: "select 1", params: [], batchRows: 1000 },
    ]);
    expect(result.config.data.loading).toEqual({ bufferMiB: 16, maxRecordKiB: 1024 });
  });

  it.each([
    ["data:\n  source: [https://example.com/data.csv]\n", "data.source.0", 2],
    ["data:\n  source: [postgres://u:pw@db/x]\n", "data.source.0", 2],
    [
      "data:\n  sources:\n    - { kind: postgres, url: 'postgres://u:pw@db/x', query: q }\n",
      "data.sources.0.url",
      3,
    ],
    ["data:\n  sources:\n    - { kind: http, url: 'file:///etc/passwd' }\n", "data.sources.0.url", 3],
    [
      "data:\n  sources:\n    - { kind: http, url: 'https://a.test', pagination: { type: cursor } }\n",
      "data.sources.0.pagination.field",
      3,
    ],
    ["data:\n  sources:\n    - { kind: s3, path: x }\n", "data.sources.0.kind", 3],
    ["data:\n  sources:\n    - { kind: file, path: x.csv, sheet: 1 }\n", "data.sources.0", 3],
  ])("refuses %j at %s (line %i), never echoing a password", (text, path, line) => {
    const result = parseConfig(text, "m.yml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems[0]!;
    expect(problem.message).toContain(path);
    expect(problem.where?.line).toBe(line);
    expect(JSON.stringify(result.problems)).not.toContain("pw@");
  });
});
