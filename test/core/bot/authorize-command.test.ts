import { describe, expect, it } from "vitest";
import { authorizeCommand, normalizePermission } from "../../../core/bot/authorize-command.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";

const defaults = ConfigSchema.parse({});
const strict = ConfigSchema.parse({ github: { permissions: { train: "admin", help: "write" } } });

describe("normalizePermission", () => {
  it.each([
    { answer: { permission: "admin", role_name: "admin" }, out: "admin" },
    { answer: { permission: "write", role_name: "maintain" }, out: "maintain" },
    { answer: { permission: "read", role_name: "triage" }, out: "triage" },
    { answer: { permission: "write", role_name: "custom-role" }, out: "write" },
    { answer: { permission: "none" }, out: "none" },
    { answer: { permission: "owner" }, out: "none" },
    { answer: { permission: "__proto__" }, out: "none" },
    { answer: {}, out: "none" },
    { answer: null, out: "none" },
  ])("$answer → $out", ({ answer, out }) => {
    expect(normalizePermission(answer)).toBe(out);
  });
});

describe("authorizeCommand", () => {
  it.each([
    { command: "train", actual: "write", config: defaults, ok: true },
    { command: "train", actual: "triage", config: defaults, ok: false },
    { command: "train", actual: "none", config: defaults, ok: false },
    { command: "deploy", actual: "write", config: defaults, ok: false },
    { command: "deploy", actual: "maintain", config: defaults, ok: true },
    { command: "rollback", actual: "admin", config: defaults, ok: true },
    { command: "rollback", actual: "write", config: defaults, ok: false },
    { command: "help", actual: "read", config: defaults, ok: true },
    { command: "help", actual: "none", config: defaults, ok: false },
    { command: "train", actual: "maintain", config: strict, ok: false },
    { command: "help", actual: "read", config: strict, ok: false },
  ] as const)("$command with $actual → $ok", ({ command, actual, config, ok }) => {
    const r = authorizeCommand({ command, actual, config });
    expect(r.ok).toBe(ok);
    expect(r.required).toBe(config.github.permissions[command]);
    if (!r.ok) expect(r.reason).toBe("insufficient-permission");
  });
});
