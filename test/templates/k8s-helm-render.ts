/**
 * A small renderer for the subset of Helm's Go templates the Modelship chart uses (no `helm`
 * binary runs here): actions with `{{-`/`-}}` trimming, comments, `if`/`else`/`end`,
 * `range $x := …`, `define`/`include`, variables (`:=`, `=`), pipelines and the Sprig functions
 * the chart calls. Anything else throws, so the chart cannot drift outside what is checked.
 */

type Node =
  | { t: "text"; s: string }
  | { t: "action"; expr: string }
  | { t: "if"; expr: string; then: Node[]; else: Node[] }
  | { t: "range"; v: string; expr: string; body: Node[] }
  | { t: "define"; name: string; body: Node[] };

type Scope = { dot: unknown; root: unknown; vars: Map<string, unknown>; defines: Map<string, Node[]> };

export type HelmContext = { Values: unknown; Release: { Name: string; Namespace: string }; Chart: unknown };

function tokenize(src: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = open === -1 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open === -1) {
      out.push({ text });
      break;
    }
    const trimPrev = src[open + 2] === "-" && /\s/.test(src[open + 3] ?? "");
    if (trimPrev) text = text.replace(/\s+$/, "");
    out.push({ text });
    // Find the closing braces outside string literals.
    let j = open + (trimPrev ? 3 : 2);
    let quote: string | null = null;
    for (; j < src.length; j++) {
      const c = src[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "`") quote = c;
      else if (src.startsWith("}}", j)) break;
    }
    if (j >= src.length) throw new Error(`unclosed action at ${open}`);
    let inner = src.slice(open + (trimPrev ? 3 : 2), j);
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    out.push({ action: inner.trim() });
    i = j + 2;
  }
  return out;
}

function parse(src: string): Node[] {
  const tokens = tokenize(src);
  let pos = 0;
  function block(stopAt: string[]): { nodes: Node[]; stop: string } {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++] as { text: string } | { action: string };
      if ("text" in tok) {
        if (tok.text) nodes.push({ t: "text", s: tok.text });
        continue;
      }
      const a = tok.action;
      if (a.startsWith("/*")) continue;
      const word = a.split(/\s+/)[0] ?? "";
      if (stopAt.includes(word)) return { nodes, stop: word };
      if (word === "if") {
        const then = block(["else", "end"]);
        const otherwise = then.stop === "else" ? block(["end"]).nodes : [];
        nodes.push({ t: "if", expr: a.slice(2).trim(), then: then.nodes, else: otherwise });
      } else if (word === "range") {
        const m = /^range\s+(\$\w+)\s*:=\s*(.+)$/s.exec(a);
        if (!m) throw new Error(`unsupported range: ${a}`);
        nodes.push({ t: "range", v: m[1] as string, expr: m[2] as string, body: block(["end"]).nodes });
      } else if (word === "define") {
        const name = JSON.parse(a.slice(6).trim()) as string;
        nodes.push({ t: "define", name, body: block(["end"]).nodes });
      } else if (["else", "end", "with", "block", "template"].includes(word)) {
        throw new Error(`unsupported or misplaced action: ${a}`);
      } else nodes.push({ t: "action", expr: a });
    }
    if (stopAt.length > 0) throw new Error(`missing {{ end }} (wanted ${stopAt.join("/")})`);
    return { nodes, stop: "" };
  }
  return block([]).nodes;
}

function lex(expr: string): string[] {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|=|-?\d+(?:\.\d+)?|\$?[\w.]*[\w]|\$|\.)/gy;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while (re.lastIndex < expr.length && (m = re.exec(expr))) out.push(m[1] as string);
  if (re.lastIndex < expr.trimEnd().length) throw new Error(`cannot read expression: ${expr}`);
  return out;
}

function field(value: unknown, path: string[]): unknown {
  let v = value;
  for (const p of path) {
    if (p === "") continue;
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
  }
  return v;
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function print(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "object") throw new Error(`cannot print ${JSON.stringify(v)} without toYaml`);
  return String(v);
}

const FUNCS: Record<string, (scope: Scope, ...args: unknown[]) => unknown> = {
  include: (scope, name, ctx) => {
    const body = scope.defines.get(name as string);
    if (!body) throw new Error(`no template named ${String(name)}`);
    return render(body, { ...scope, dot: ctx, vars: new Map([["$", ctx]]) });
  },
  quote: (_s, v) => JSON.stringify(print(v)),
  nindent: (_s, n, v) => `\n${indent(n as number, print(v))}`,
  indent: (_s, n, v) => indent(n as number, print(v)),
  list: (_s, ...items) => items,
  dict: (_s, ...kv) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < kv.length; i += 2) o[kv[i] as string] = kv[i + 1];
    return o;
  },
  not: (_s, v) => !truthy(v),
  eq: (_s, a, b) => a === b,
  gt: (_s, a, b) => (a as number) > (b as number),
  int: (_s, v) => Math.trunc(Number(v ?? 0)),
  max: (_s, ...vs) => Math.max(...vs.map(Number)),
  ternary: (_s, a, b, cond) => (truthy(cond) ? a : b),
  replace: (_s, from, to, v) => print(v).replaceAll(from as string, to as string),
  trunc: (_s, n, v) => print(v).slice(0, n as number),
  join: (_s, sep, list) => (list as unknown[]).map(print).join(sep as string),
  // Go's encoding/json: compact, map keys sorted.
  toJson: (_s, v) => JSON.stringify(v, (_k, x: unknown) => sortedKeys(x)),
  printf: (_s, format, ...args) => {
    let i = 0;
    return (format as string).replace(/%[sdv]/g, () => print(args[i++]));
  },
};

function sortedKeys(x: unknown): unknown {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return x;
  const o = x as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

function indent(n: number, s: string): string {
  return s
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");
}

function evaluate(expr: string, scope: Scope): unknown {
  const tokens = lex(expr);
  let pos = 0;
  function operand(): unknown {
    const t = tokens[pos++];
    if (t === undefined) throw new Error(`expression ends early: ${expr}`);
    if (t === "(") {
      const v = pipeline([")"]);
      pos++;
      return v;
    }
    if (t.startsWith('"')) return JSON.parse(t) as string;
    if (t.startsWith("`")) return t.slice(1, -1);
    if (/^-?\d/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    if (t === ".") return scope.dot;
    if (t.startsWith(".")) return field(scope.dot, t.slice(1).split("."));
    if (t.startsWith("$")) {
      const [name, ...path] = t.split(".");
      if (!scope.vars.has(name as string)) throw new Error(`undefined variable ${name}`);
      return field(scope.vars.get(name as string), path);
    }
    throw new Error(`unexpected ${t} in ${expr}`);
  }
  function command(piped: unknown[] | null, stop: string[]): unknown {
    const t = tokens[pos] as string;
    if (/^[a-zA-Z]\w*$/.test(t) && !["true", "false"].includes(t)) {
      pos++;
      const fn = FUNCS[t];
      if (!fn) throw new Error(`unsupported function ${t}`);
      const args: unknown[] = [];
      while (pos < tokens.length && tokens[pos] !== "|" && !stop.includes(tokens[pos] as string))
        args.push(operand());
      return fn(scope, ...args, ...(piped ?? []));
    }
    if (piped) throw new Error(`cannot pipe into ${t}`);
    return operand();
  }
  function pipeline(stop: string[]): unknown {
    let v = command(null, stop);
    while (tokens[pos] === "|") {
      pos++;
      v = command([v], stop);
    }
    return v;
  }
  if (tokens[1] === ":=" || tokens[1] === "=") {
    pos = 2;
    const v = pipeline([]);
    if (tokens[1] === "=" && !scope.vars.has(tokens[0] as string))
      throw new Error(`assignment to undeclared ${tokens[0]}`);
    scope.vars.set(tokens[0] as string, v);
    return undefined;
  }
  const v = pipeline([]);
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]} in ${expr}`);
  return v;
}

function render(nodes: Node[], scope: Scope): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "define") continue;
    else if (n.t === "action") {
      const isAssign = /^\$\w+\s*:?=/.test(n.expr);
      const v = evaluate(n.expr, scope);
      if (!isAssign) out += print(v);
    } else if (n.t === "if") out += render(truthy(evaluate(n.expr, scope)) ? n.then : n.else, scope);
    else if (n.t === "range") {
      const items = evaluate(n.expr, scope);
      if (!Array.isArray(items)) throw new Error(`range over a non-list: ${n.expr}`);
      for (const item of items) {
        const vars = new Map(scope.vars);
        vars.set(n.v, item);
        out += render(n.body, { ...scope, vars });
      }
    }
  }
  return out;
}

function collectDefines(nodes: Node[], into: Map<string, Node[]>): void {
  for (const n of nodes) if (n.t === "define") into.set(n.name, n.body);
}

/** Renders every template of a chart (file name → text) the way `helm template` would. */
export function renderChart(files: Record<string, string>, ctx: HelmContext): Record<string, string> {
  const parsed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, parse(text)]));
  const defines = new Map<string, Node[]>();
  for (const nodes of Object.values(parsed)) collectDefines(nodes, defines);
  const out: Record<string, string> = {};
  for (const [name, nodes] of Object.entries(parsed)) {
    if (name.startsWith("_")) continue;
    out[name] = render(nodes, { dot: ctx, root: ctx, vars: new Map([["$", ctx]]), defines });
  }
  return out;
}
