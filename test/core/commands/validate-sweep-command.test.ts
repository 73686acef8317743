import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../core/config/schema.ts";
import { parseCommand } from "../../../core/commands/parse-command.ts";
import { validateCommand } from "../../../core/commands/validate-command.ts";

const config = ConfigSchema.parse({
  model: { name: "iris", task: "classification" },
  train: { search: { learningRate: { min: 0.0001, max: 0.1, log: true } } },
});

function check(body: string) {
  const parsed = parseCommand(body);
  if (parsed.kind !== "command") throw new Error(`not a command: ${body}`);
  return validateCommand(parsed.command, config);
}

describe("/sweep arguments", () => {
  it.each([
    ["/sweep 8", { trials: 8, sampler: null, pruner: null }],
    ["/sweep 256 --pruner hyperband", { trials: 256, sampler: null, pruner: "hyperband" }],
    ["/sweep 1 --pruner none --sampler grid", { trials: 1, sampler: "grid", pruner: "none" }],
  ])("%s is accepted", (body, expected) => {
    expect(check(body)).toEqual({ ok: true, command: { name: "sweep", ...expected } });
  });

  it.each([
    ["/sweep", "missing-argument"],
    ["/sweep 0", "value-out-of-range"],
    ["/sweep 8.5", "value-out-of-range"],
    ["/sweep -3", "value-out-of-range"],
    ["/sweep 1e2", "value-out-of-range"],
    ["/sweep 8 --sampler", "value-not-allowed"],
    ["/sweep 8 --pruner asha", "value-not-allowed"],
    ["/sweep 8 --pruner none --pruner median", "duplicate-parameter"],
    ["/sweep 8 extra", "unexpected-argument"],
    ["/sweep 8 trials=3", "unexpected-argument"],
  ])("%s is refused with %s", (body, reason) => {
    expect(check(body)).toMatchObject({ ok: false, reason });
  });

  it("is refused when train.search is empty", () => {
    const empty = ConfigSchema.parse({ model: { name: "iris", task: "classification" } });
    const parsed = parseCommand("/sweep 8");
    if (parsed.kind !== "command") throw new Error("not a command");
    expect(validateCommand(parsed.command, empty)).toMatchObject({ ok: false, reason: "no-search-space" });
  });
});
