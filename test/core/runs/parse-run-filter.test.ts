import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { matchRunFilter } from "../../../core/runs/match-run-filter.ts";
import { parseRunFilter } from "../../../core/runs/parse-run-filter.ts";
import { parseRunOrder, sortRuns } from "../../../core/runs/parse-run-order.ts";
import type { RunEntry } from "../../../core/runs/run-entry.ts";

const entry = (id: string, over: Partial<RunEntry> = {}): RunEntry => ({
  id,
  source: "local",
  path: `.modelship/runs/${id}`,
  status: "succeeded",
  model: "penguins",
  task: "classification",
  trainer: "builtin",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:00.000Z",
  durationMs: 60000,
  metrics: {},
  params: {},
  tags: {},
  ...over,
});

describe("parseRunFilter", () => {
  it.each([
    ["", []],
    [
      "metrics.accuracy > 0.9 and params.learningRate < 0.05",
      [
        { entity: "metrics", key: "accuracy", op: ">", value: 0.9, column: 1 },
        { entity: "params", key: "learningRate", op: "<", value: 0.05, column: 28 },
      ],
    ],
    [
      "params.optimizer = 'adam'",
      [{ entity: "params", key: "optimizer", op: "=", value: "adam", column: 1 }],
    ],
    [
      'tags."mlflow.source.git.branch" LIKE "feat/%"',
      [{ entity: "tags", key: "mlflow.source.git.branch", op: "LIKE", value: "feat/%", column: 1 }],
    ],
    [
      "metrics.`f1 macro` >= -1e-3",
      [{ entity: "metrics", key: "f1 macro", op: ">=", value: -0.001, column: 1 }],
    ],
    ["metric.loss==.5", [{ entity: "metrics", key: "loss", op: "=", value: 0.5, column: 1 }]],
    [
      "params.layers.0.units != 16",
      [{ entity: "params", key: "layers.0.units", op: "!=", value: 16, column: 1 }],
    ],
    [
      "attributes.status IN ('failed', 'succeeded') AND attributes.start_time >= 1700000000000",
      [
        { entity: "attributes", key: "status", op: "IN", value: ["failed", "succeeded"], column: 1 },
        { entity: "attributes", key: "start_time", op: ">=", value: 1700000000000, column: 50 },
      ],
    ],
    [
      "run.run_id NOT IN ('a')",
      [{ entity: "attributes", key: "run_id", op: "NOT IN", value: ["a"], column: 1 }],
    ],
    ["tags.team ILIKE '%ML%'", [{ entity: "tags", key: "team", op: "ILIKE", value: "%ML%", column: 1 }]],
  ])("%j", (text, expected) => {
    expect(parseRunFilter(text)).toEqual(expected);
  });

  it.each([
    ["metrics.accuracy >", 19, "expected a value"],
    ["metrics.accuracy > 'high'", 20, "compares with a number"],
    ["accuracy > 0.9", 1, "does not name metrics."],
    ["metrics.accuracy > 0.9 or metrics.f1 > 0.5", 24, "'or' is not supported"],
    ["metrics.accuracy > 0.9 metrics.f1 > 0.5", 24, "expected 'and'"],
    ["metrics.accuracy LIKE '%9'", 18, "cannot be compared with LIKE"],
    ["params.optimizer = adam", 20, "quoted string"],
    ["params.optimizer = 'adam", 20, "never closed"],
    ["attributes.colour = 'red'", 1, "unknown attribute 'colour'"],
    ["attributes.status = 3", 21, "is text"],
    ["params.x IN 'a'", 13, "IN needs a list"],
    ["params.x IN ('a' 'b')", 18, "expected ',' or ')'"],
    ["metrics.accuracy > 0.9 and", 27, "ends after 'and'"],
    ["metrics.accuracy ~ 1", 18, "unexpected character '~'"],
    ["metrics.accuracy ! 1", 18, "'!' must be followed by '='"],
    ["params.x LIKE 5", 15, "needs a quoted pattern"],
  ])("rejects %j at column %i", (text, column, message) => {
    let caught: unknown;
    try {
      parseRunFilter(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ModelshipError);
    const problem = (caught as ModelshipError).problems[0]!;
    expect(problem.code).toBe("run-filter-invalid");
    expect(problem.where).toEqual({ file: "--filter", line: 1, column });
    expect(problem.message).toContain(message);
    // The message points at the column under a copy of the filter.
    expect(problem.message).toContain(`${text}\n  ${" ".repeat(column - 1)}^`);
  });
});

describe("matchRunFilter", () => {
  const a = entry("a", {
    metrics: { accuracy: 0.95, val_loss: 0.2 },
    params: { learningRate: 0.01, optimizer: "adam", "layers.0.units": 16 },
    tags: { "mlflow.source.git.branch": "feat/x" },
  });
  const b = entry("b", {
    status: "failed",
    metrics: { accuracy: 0.85, val_loss: Number.NaN },
    params: { learningRate: 0.1, optimizer: "sgd", "layers.0.units": "16" },
    tags: { "mlflow.source.git.branch": "main" },
    startedAt: "2026-02-01T00:00:00.000Z",
  });
  const c = entry("c", { metrics: {}, params: {}, tags: {} });
  it.each([
    ["metrics.accuracy > 0.9 and params.learningRate < 0.05", ["a"]],
    ["metrics.accuracy >= 0.85", ["a", "b"]],
    ["metrics.val_loss < 1", ["a"]],
    ["params.optimizer = 'adam'", ["a"]],
    ["params.optimizer != 'adam'", ["b"]],
    ["params.layers.0.units = 16", ["a", "b"]],
    ["params.layers.0.units = '16'", ["a", "b"]],
    ["params.optimizer LIKE 's%'", ["b"]],
    ["params.optimizer LIKE 'S%'", []],
    ["params.optimizer ILIKE 'S_D'", ["b"]],
    ["tags.`mlflow.source.git.branch` LIKE 'feat/%'", ["a"]],
    ["attributes.status = 'failed'", ["b"]],
    ["attributes.run_id IN ('a', 'c')", ["a", "c"]],
    ["attributes.run_id NOT IN ('a', 'c')", ["b"]],
    ["attributes.start_time > 1767225600000", ["b"]],
    ["params.optimizer = 1", []],
  ])("%s", (text, ids) => {
    const clauses = parseRunFilter(text);
    expect([a, b, c].filter((e) => matchRunFilter(e, clauses)).map((e) => e.id)).toEqual(ids);
  });
});

describe("sortRuns", () => {
  const runs = [
    entry("a", { metrics: { accuracy: 0.9 } }),
    entry("b", { metrics: { accuracy: Number.NaN } }),
    entry("c", { metrics: { accuracy: 0.95 } }),
    entry("d"),
    entry("e", { metrics: { accuracy: 0.5 } }),
  ];
  it.each([
    ["-metrics.accuracy", ["c", "a", "e", "b", "d"]],
    ["metrics.accuracy DESC", ["c", "a", "e", "b", "d"]],
    ["metrics.accuracy", ["e", "a", "c", "b", "d"]],
    ["metrics.accuracy asc", ["e", "a", "c", "b", "d"]],
    ["-attributes.run_id", ["e", "d", "c", "b", "a"]],
  ])("%s", (text, ids) => {
    expect(sortRuns(runs, parseRunOrder(text)).map((e) => e.id)).toEqual(ids);
  });
  it.each(["accuracy", "-metrics.accuracy DESC", "attributes.colour", "metrics."])("rejects %j", (text) => {
    expect(() => parseRunOrder(text)).toThrow(ModelshipError);
  });
});
