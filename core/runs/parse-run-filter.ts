import { ModelshipError } from "../errors.ts";

/** Which part of a run a filter key names, as in MLflow's search syntax. */
export type RunFilterEntity = "metrics" | "params" | "tags" | "attributes";
export type RunFilterOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "LIKE" | "ILIKE" | "IN" | "NOT IN";

/** One `entity.key op value` comparison; a filter is their conjunction. */
export type RunFilterClause = {
  entity: RunFilterEntity;
  key: string;
  op: RunFilterOp;
  value: string | number | string[];
  /** 1-based column of the clause in the filter text. */
  column: number;
};

const ENTITY_NAMES: Record<string, RunFilterEntity> = {
  metric: "metrics",
  metrics: "metrics",
  param: "params",
  params: "params",
  parameter: "params",
  parameters: "params",
  tag: "tags",
  tags: "tags",
  attr: "attributes",
  attribute: "attributes",
  attributes: "attributes",
  run: "attributes",
};

/** Attributes every indexed run has; the numeric ones compare as numbers. */
export const RUN_ATTRIBUTES = {
  run_id: "string",
  run_name: "string",
  status: "string",
  source: "string",
  model: "string",
  task: "string",
  trainer: "string",
  start_time: "number",
  end_time: "number",
  duration_ms: "number",
} as const;
export type RunAttribute = keyof typeof RUN_ATTRIBUTES;

const NUMERIC_OPS: readonly RunFilterOp[] = ["=", "!=", ">", ">=", "<", "<="];
const STRING_OPS: readonly RunFilterOp[] = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"];

const GRAMMAR_HINT =
  "Write clauses like `metrics.accuracy > 0.9 and params.optimizer = 'adam'`: metrics.<name> with = != > >= < <= and a number; params.<name> and tags.<name> with those or LIKE/ILIKE/IN and a quoted string or a number; attributes.<name> with " +
  `${Object.keys(RUN_ATTRIBUTES).join(", ")}. Quote keys with other characters in backticks.`;

type Token = {
  kind: "word" | "key" | "string" | "number" | "op" | "lparen" | "rparen" | "comma";
  text: string;
  column: number;
};

/** Parses an MLflow-style filter string (`metrics.accuracy > 0.9 and params.lr < 0.05`) into clauses. */
export function parseRunFilter(text: string): RunFilterClause[] {
  const tokens = tokenize(text);
  const clauses: RunFilterClause[] = [];
  let i = 0;
  if (tokens.length === 0) return [];
  for (;;) {
    const { clause, next } = parseClause(tokens, i, text);
    clauses.push(clause);
    i = next;
    const t = tokens[i];
    if (t === undefined) return clauses;
    if (t.kind === "word" && t.text.toUpperCase() === "AND") {
      i++;
      if (tokens[i] === undefined)
        fail(text, text.length + 1, "the filter ends after 'and'", "Add a clause after 'and', or remove it.");
      continue;
    }
    if (t.kind === "word" && t.text.toUpperCase() === "OR") {
      fail(
        text,
        t.column,
        "'or' is not supported: clauses are joined with 'and' only (as in MLflow)",
        "Run one query per alternative.",
      );
    }
    fail(text, t.column, `expected 'and' or the end of the filter, found '${t.text}'`);
  }
}

function parseClause(
  tokens: Token[],
  start: number,
  text: string,
): { clause: RunFilterClause; next: number } {
  const keyTok = tokens[start]!;
  if (keyTok.kind !== "key" && keyTok.kind !== "word") {
    fail(text, keyTok.column, `expected a key such as metrics.accuracy, found '${keyTok.text}'`);
  }
  const dot = keyTok.text.indexOf(".");
  const entity = dot > 0 ? ENTITY_NAMES[keyTok.text.slice(0, dot).toLowerCase()] : undefined;
  const key = dot > 0 ? keyTok.text.slice(dot + 1) : "";
  if (entity === undefined || key === "") {
    fail(
      text,
      keyTok.column,
      `'${keyTok.text}' does not name metrics., params., tags. or attributes. followed by a key`,
    );
  }
  if (entity === "attributes" && !(key in RUN_ATTRIBUTES)) {
    fail(
      text,
      keyTok.column,
      `unknown attribute '${key}'`,
      `Attributes are: ${Object.keys(RUN_ATTRIBUTES).join(", ")}.`,
    );
  }
  let i = start + 1;
  const opTok = tokens[i];
  if (opTok === undefined) fail(text, text.length + 1, `expected a comparison after '${keyTok.text}'`);
  let op: RunFilterOp;
  if (opTok.kind === "op") op = (opTok.text === "==" ? "=" : opTok.text) as RunFilterOp;
  else if (opTok.kind === "word" && ["LIKE", "ILIKE", "IN"].includes(opTok.text.toUpperCase()))
    op = opTok.text.toUpperCase() as RunFilterOp;
  else if (
    opTok.kind === "word" &&
    opTok.text.toUpperCase() === "NOT" &&
    tokens[i + 1]?.text.toUpperCase() === "IN"
  ) {
    op = "NOT IN";
    i++;
  } else
    fail(text, opTok.column, `expected a comparison (= != > >= < <= LIKE ILIKE IN), found '${opTok.text}'`);
  i++;
  const numericKey =
    entity === "metrics" || (entity === "attributes" && RUN_ATTRIBUTES[key as RunAttribute] === "number");
  const allowed = numericKey
    ? NUMERIC_OPS
    : entity === "attributes"
      ? STRING_OPS
      : [...NUMERIC_OPS, ...STRING_OPS];
  if (!allowed.includes(op)) {
    fail(
      text,
      opTok.column,
      `${entity}.${key} cannot be compared with ${op}`,
      `Use one of: ${allowed.join(" ")}.`,
    );
  }
  const parsed = op === "IN" || op === "NOT IN" ? parseList(tokens, i, text) : parseValue(tokens, i, text);
  const value = parsed.value;
  if (numericKey && typeof value !== "number") {
    fail(text, tokens[i]!.column, `${entity}.${key} compares with a number, found ${JSON.stringify(value)}`);
  }
  if ((op === "LIKE" || op === "ILIKE") && typeof value !== "string") {
    fail(text, tokens[i]!.column, `${op} needs a quoted pattern such as '%adam%'`);
  }
  if (!numericKey && entity === "attributes" && typeof value === "number") {
    fail(text, tokens[i]!.column, `attributes.${key} is text: quote the value ('${value}')`);
  }
  return { clause: { entity, key, op, value, column: keyTok.column }, next: parsed.next };
}

function parseValue(tokens: Token[], i: number, text: string): { value: string | number; next: number } {
  const t = tokens[i];
  if (t === undefined) fail(text, text.length + 1, "expected a value after the comparison");
  if (t.kind === "number") return { value: Number(t.text), next: i + 1 };
  if (t.kind === "string") return { value: t.text, next: i + 1 };
  return fail(
    text,
    t.column,
    `expected a number or a quoted string, found '${t.text}'`,
    "Quote text values: params.optimizer = 'adam'.",
  );
}

function parseList(tokens: Token[], i: number, text: string): { value: string[]; next: number } {
  const open = tokens[i];
  if (open?.kind !== "lparen")
    fail(text, open?.column ?? text.length + 1, "IN needs a list such as ('a', 'b')");
  const values: string[] = [];
  let j = i + 1;
  for (;;) {
    const t = tokens[j];
    if (t?.kind !== "string" && t?.kind !== "number") {
      fail(text, t?.column ?? text.length + 1, "expected a quoted value in the IN list");
    }
    values.push(t.text);
    const sep = tokens[j + 1];
    if (sep?.kind === "rparen") return { value: values, next: j + 2 };
    if (sep?.kind !== "comma")
      fail(text, sep?.column ?? text.length + 1, "expected ',' or ')' in the IN list");
    j += 2;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      const { value, end } = readQuoted(text, i);
      tokens.push({ kind: "string", text: value, column });
      i = end;
    } else if (c === "`") {
      const { value, end } = readQuoted(text, i);
      fail(text, column, `a quoted key needs its entity first: metrics.\`${value}\``);
      i = end;
    } else if (
      /[0-9]/.test(c) ||
      (c === "-" && /[0-9.]/.test(text[i + 1] ?? "")) ||
      (c === "." && /[0-9]/.test(text[i + 1] ?? ""))
    ) {
      const m = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i))!;
      tokens.push({ kind: "number", text: m[0], column });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.\-/:]*/.exec(text.slice(i))!;
      let word = m[0];
      i += word.length;
      if (word.endsWith(".") && /[`"']/.test(text[i] ?? "")) {
        const { value, end } = readQuoted(text, i);
        word += value;
        i = end;
        tokens.push({ kind: "key", text: word, column });
      } else tokens.push({ kind: "word", text: word, column });
    } else if (/[<>!=]/.test(c)) {
      const two = text.slice(i, i + 2);
      const op = [">=", "<=", "!=", "==", "<>"].includes(two) ? two : c;
      if (op === "!") fail(text, column, "'!' must be followed by '=' (use !=)");
      tokens.push({ kind: "op", text: op === "<>" ? "!=" : op, column });
      i += op.length;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c === "(" ? "lparen" : c === ")" ? "rparen" : "comma", text: c, column });
      i++;
    } else {
      fail(text, column, `unexpected character '${c}'`);
    }
  }
  return tokens;
}

function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  const close = text.indexOf(quote, start + 1);
  if (close < 0) fail(text, start + 1, `the quote ${quote} opened here is never closed`);
  return { value: text.slice(start + 1, close), end: close + 1 };
}

function fail(text: string, column: number, message: string, hint?: string): never {
  const pointer = `${text}\n  ${" ".repeat(Math.max(0, column - 1))}^`;
  throw new ModelshipError({
    code: "run-filter-invalid",
    message: `${message}\n  ${pointer}`,
    where: { file: "--filter", line: 1, column },
    hint: hint ?? GRAMMAR_HINT,
  });
}
