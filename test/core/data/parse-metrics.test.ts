import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import { parseHistory, parseMetrics } from "../../../core/data/parse-metrics.ts";

function problem(f: () => unknown) {
  try {
    f();
  } catch (err) {
    if (err instanceof ModelshipError) return err.problems[0];
    throw err;
  }
  return undefined;
}

describe("parseMetrics", () => {
  it.each([
    ["flat", '{"accuracy": 0.9, "loss": 0.2}', { accuracy: 0.9, loss: 0.2 }],
    [
      "nested (DVC)",
      '{"eval": {"accuracy": 0.9, "per_class": {"a": 1}}, "loss": 0.2}',
      { "eval.accuracy": 0.9, "eval.per_class.a": 1, loss: 0.2 },
    ],
    [
      "non-numeric leaves ignored",
      '{"accuracy": 0.9, "note": "ok", "ok": true, "list": [1, 2], "none": null}',
      { accuracy: 0.9 },
    ],
  ])("reads %s metrics", (_name, text, expected) => {
    expect(parseMetrics(text, "metrics.json")).toEqual(expected);
  });

  it.each([
    ["invalid JSON", '{"accuracy": 0.9,\n  oops}', "metrics-invalid-json"],
    ["an array", "[1, 2]", "metrics-not-an-object"],
    ["no numbers", '{"note": "trained"}', "metrics-empty"],
  ])("rejects %s with a reason code and the file", (_name, text, code) => {
    const p = problem(() => parseMetrics(text, "out/metrics.json"));
    expect(p?.code).toBe(code);
    expect(p?.where?.file).toBe("out/metrics.json");
  });

  it("points at the line of a JSON syntax error", () => {
    expect(problem(() => parseMetrics('{"a": 1,\n  oops}', "m.json"))?.where?.line).toBe(2);
  });
});

describe("parseHistory", () => {
  it.each([
    ["the run-directory form", '{"epochs": [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}]}'],
    ["a bare list, epochs numbered by position", '[{"loss": 0.5, "tag": "x"}, {"loss": 0.4}]'],
  ])("reads %s", (_name, text) => {
    expect(parseHistory(text, "h.json")).toEqual({
      epochs: [
        { epoch: 1, loss: 0.5 },
        { epoch: 2, loss: 0.4 },
      ],
    });
  });

  it("rejects something that is not a list of epochs", () => {
    expect(problem(() => parseHistory('{"loss": 1}', "h.json"))?.code).toBe("history-invalid");
  });
});
