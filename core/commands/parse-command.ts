import { isCommandToken, type CommandName } from "./command-registry.ts";

/** Limits on what a command line may carry; anything larger is refused, not truncated. */
export const COMMAND_LIMITS = { lineLength: 500, args: 10, argLength: 100 } as const;

/** Why a line that starts with a command word could not be read. Closed set. */
export type CommandSyntaxReason =
  | "line-too-long"
  | "too-many-arguments"
  | "argument-too-long"
  | "unterminated-quote"
  | "control-character"
  | "invalid-key";

export type RawCommand = {
  name: CommandName;
  /** Arguments without `=`, in order. */
  positional: string[];
  /** `key=value` arguments, in order (duplicates kept so validation can refuse them). */
  named: Array<[string, string]>;
};

export type ParseCommandResult =
  | { kind: "none" }
  | { kind: "command"; command: RawCommand }
  | { kind: "invalid"; name: CommandName; reason: CommandSyntaxReason; message: string };

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const CONTROL_RE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * Reads a slash command from a comment body: the first non-blank line must start with a registered
 * command word as a whole token. Quoted (`>`) lines, code (fenced, indented or inline) and commands
 * anywhere else in the text are not commands.
 */
export function parseCommand(body: string): ParseCommandResult {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const first = lines.find((l) => l.trim() !== "");
  if (first === undefined) return { kind: "none" };
  // Four spaces or a tab is an indented code block in Markdown.
  if (/^( {4}|\t)/.test(first)) return { kind: "none" };
  const line = first.trim();
  const word = /^\S+/.exec(line)?.[0] ?? "";
  if (!isCommandToken(word)) return { kind: "none" };
  const name = word.slice(1) as CommandName;
  const invalid = (reason: CommandSyntaxReason, message: string): ParseCommandResult => ({
    kind: "invalid",
    name,
    reason,
    message,
  });
  if (line.length > COMMAND_LIMITS.lineLength) {
    return invalid(
      "line-too-long",
      `the command line is longer than ${COMMAND_LIMITS.lineLength} characters`,
    );
  }
  if (CONTROL_RE.test(line)) return invalid("control-character", "the command contains control characters");
  const tokens = tokenize(line.slice(word.length));
  if (!tokens.ok) return invalid("unterminated-quote", "a quoted argument is not closed");
  if (tokens.values.length > COMMAND_LIMITS.args) {
    return invalid("too-many-arguments", `at most ${COMMAND_LIMITS.args} arguments are allowed`);
  }
  const positional: string[] = [];
  const named: Array<[string, string]> = [];
  for (const t of tokens.values) {
    if (t.text.length > COMMAND_LIMITS.argLength) {
      return invalid(
        "argument-too-long",
        `an argument is longer than ${COMMAND_LIMITS.argLength} characters`,
      );
    }
    const eq = t.bareEquals;
    if (eq < 0) {
      positional.push(t.text);
      continue;
    }
    const key = t.text.slice(0, eq);
    if (!KEY_RE.test(key)) {
      return invalid(
        "invalid-key",
        `'${key.slice(0, 64)}' is not a parameter name (letters, digits, '.', '_' or '-')`,
      );
    }
    named.push([key, t.text.slice(eq + 1)]);
  }
  return { kind: "command", command: { name, positional, named } };
}

type Token = { text: string; bareEquals: number };

/** Splits on whitespace; "double" and 'single' quotes group text. Records the first unquoted `=`. */
function tokenize(text: string): { ok: true; values: Token[] } | { ok: false } {
  const values: Token[] = [];
  let current: Token | null = null;
  let quote: '"' | "'" | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else current!.text += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (current) values.push(current);
      current = null;
      continue;
    }
    current ??= { text: "", bareEquals: -1 };
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    if (ch === "=" && current.bareEquals < 0) current.bareEquals = current.text.length;
    current.text += ch;
  }
  if (quote) return { ok: false };
  if (current) values.push(current);
  return { ok: true, values };
}
