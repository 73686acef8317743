import { describe, expect, it } from "vitest";
import { COMMAND_LIMITS, parseCommand } from "../../../core/commands/parse-command.ts";

describe("parseCommand", () => {
  it.each([
    { title: "plain text", body: "Looks good to me" },
    { title: "a command later in the line", body: "don't /deploy yet" },
    { title: "a command on the second line", body: "hello\n/train" },
    { title: "a quoted command", body: "> /deploy production\nno thanks" },
    { title: "a fenced code block", body: "```\n/deploy\n```" },
    { title: "indented code", body: "    /deploy" },
    { title: "inline code", body: "`/deploy`" },
    { title: "a longer word", body: "/trainer" },
    { title: "a prefix with punctuation", body: "/train," },
    { title: "an unknown command", body: "/destroy everything" },
    { title: "upper case", body: "/TRAIN" },
    { title: "an empty comment", body: "   \n\n" },
  ])("ignores $title", ({ body }) => {
    expect(parseCommand(body)).toEqual({ kind: "none" });
  });

  it.each([
    { body: "/help", name: "help", positional: [], named: [] },
    { body: "  /train\r\nsecond line /deploy", name: "train", positional: [], named: [] },
    {
      body: "\n\n/train lr=0.1 epochs=20",
      name: "train",
      positional: [],
      named: [
        ["lr", "0.1"],
        ["epochs", "20"],
      ],
    },
    {
      body: "/train optimizer=\"adam\" note='a b'",
      name: "train",
      positional: [],
      named: [
        ["optimizer", "adam"],
        ["note", "a b"],
      ],
    },
    { body: "/rollback staging 1.2.0", name: "rollback", positional: ["staging", "1.2.0"], named: [] },
    { body: '/compare "v1.0.0"', name: "compare", positional: ["v1.0.0"], named: [] },
    { body: "/train a=b=c", name: "train", positional: [], named: [["a", "b=c"]] },
  ])("reads $body", ({ body, name, positional, named }) => {
    expect(parseCommand(body)).toEqual({ kind: "command", command: { name, positional, named } });
  });

  it.each([
    { body: `/train ${"x".repeat(COMMAND_LIMITS.lineLength)}`, reason: "line-too-long" },
    {
      body: `/train ${Array.from({ length: 11 }, (_, i) => `k${i}=1`).join(" ")}`,
      reason: "too-many-arguments",
    },
    { body: `/train k=${"1".repeat(COMMAND_LIMITS.argLength + 1)}`, reason: "argument-too-long" },
    { body: '/train note="open', reason: "unterminated-quote" },
    { body: "/train k=\u0007", reason: "control-character" },
    { body: "/train k=\u202Eevil", reason: "control-character" },
    { body: "/train $(rm)=1", reason: "invalid-key" },
    { body: "/train =1", reason: "invalid-key" },
  ])("refuses $reason", ({ body, reason }) => {
    const r = parseCommand(body);
    expect(r.kind).toBe("invalid");
    if (r.kind === "invalid") expect(r.reason).toBe(reason);
  });
});
