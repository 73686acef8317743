import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../core/commands/parse-command.ts";
import { renderHelp } from "../../../core/commands/render-help.ts";
import { validateCommand } from "../../../core/commands/validate-command.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";

const config = ConfigSchema.parse({
  train: {
    search: {
      learningRate: { min: 0.0001, max: 1, log: true },
      epochs: { min: 1, max: 200, integer: true },
      optimizer: { values: ["adam", "sgd"] },
      shuffle: { values: [true, false] },
    },
  },
  deploy: { environment: "production", environments: { staging: {}, production: {} } },
});

function validate(body: string) {
  const parsed = parseCommand(body);
  if (parsed.kind !== "command") throw new Error(`not a command: ${body}`);
  return validateCommand(parsed.command, config);
}

describe("validateCommand", () => {
  it.each([
    { body: "/train", command: { name: "train", params: {} } },
    {
      body: "/train learningRate=0.05 epochs=20 optimizer=sgd shuffle=false",
      command: {
        name: "train",
        params: { learningRate: 0.05, epochs: 20, optimizer: "sgd", shuffle: false },
      },
    },
    { body: "/train epochs=1e2", command: { name: "train", params: { epochs: 100 } } },
    { body: "/compare", command: { name: "compare", baseline: null } },
    { body: "/compare v1.2.0", command: { name: "compare", baseline: "1.2.0" } },
    { body: "/compare production", command: { name: "compare", baseline: "production" } },
    { body: "/deploy", command: { name: "deploy", environment: "production" } },
    { body: "/deploy staging", command: { name: "deploy", environment: "staging" } },
    { body: "/rollback", command: { name: "rollback", environment: "production", version: null } },
    { body: "/rollback 1.1.0", command: { name: "rollback", environment: "production", version: "1.1.0" } },
    {
      body: "/rollback staging v1.1.0",
      command: { name: "rollback", environment: "staging", version: "1.1.0" },
    },
    {
      body: "/promote 1.2.0 staging",
      command: { name: "promote", environment: "staging", version: "1.2.0" },
    },
    { body: "/lock", command: { name: "lock", environment: "production" } },
    { body: "/unlock staging", command: { name: "unlock", environment: "staging" } },
    { body: "/help", command: { name: "help" } },
  ])("accepts $body", ({ body, command }) => {
    expect(validate(body)).toEqual({ ok: true, command });
  });

  it.each([
    { body: "/train seed=1", reason: "unknown-parameter" },
    { body: "/train __proto__=1", reason: "unknown-parameter" },
    { body: "/train constructor=1", reason: "unknown-parameter" },
    { body: "/train epochs=1 epochs=2", reason: "duplicate-parameter" },
    { body: "/train epochs=0", reason: "value-out-of-range" },
    { body: "/train epochs=2.5", reason: "value-out-of-range" },
    { body: "/train learningRate=NaN", reason: "value-out-of-range" },
    { body: "/train learningRate=Infinity", reason: "value-out-of-range" },
    { body: "/train learningRate=0x10", reason: "value-out-of-range" },
    { body: "/train learningRate=", reason: "value-out-of-range" },
    { body: "/train optimizer=adamw", reason: "value-not-allowed" },
    { body: "/train now", reason: "unexpected-argument" },
    { body: "/deploy moon", reason: "unknown-environment" },
    { body: "/deploy staging production", reason: "unexpected-argument" },
    { body: "/deploy env=staging", reason: "unexpected-argument" },
    { body: "/rollback staging latest", reason: "invalid-version" },
    { body: "/promote 1.2.0", reason: "missing-argument" },
    { body: "/promote next staging", reason: "invalid-version" },
    { body: "/compare ../../etc", reason: "invalid-reference" },
    { body: "/help me", reason: "unexpected-argument" },
  ])("refuses $body ($reason)", ({ body, reason }) => {
    const r = validate(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it("echoes untrusted arguments only as plain characters", () => {
    const r = validate("/deploy <img>@team");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).not.toMatch(/[<>@]/);
  });

  it("lists every command, its minimum permission and the /train parameters in /help", () => {
    const help = renderHelp(config);
    for (const c of ["/train", "/compare", "/deploy", "/rollback", "/promote", "/lock", "/unlock", "/help"]) {
      expect(help).toContain(`\`${c}`);
    }
    expect(help).toContain(
      "| `/deploy [env]` | Deploy the version this pull request produced (the default environment if omitted). | maintain |",
    );
    expect(help).toContain("`epochs` ∈ [1, 200] (integer)");
    expect(help).toContain("`optimizer` ∈ {`adam`, `sgd`}");
  });
});
