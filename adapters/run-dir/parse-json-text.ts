import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { Problem } from "../../core/errors.ts";

export type ParseJsonResult = { ok: true; value: unknown } | { ok: false; problem: Problem };

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };
const SENTINEL = "\u0000modelship-non-finite:";

/**
 * Parses JSON, also accepting the bare `NaN`, `Infinity` and `-Infinity` that Python's `json.dump`
 * writes, so a diverged run is reported as NaN instead of rejected. Syntax errors carry line:column.
 */
export function parseJsonText(text: string, file: string): ParseJsonResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (first) {
    const patched = replaceNonFinite(text);
    if (patched !== text) {
      try {
        const value: unknown = JSON.parse(patched, (_k, v: unknown) =>
          typeof v === "string" && v.startsWith(SENTINEL) ? NON_FINITE[v.slice(SENTINEL.length)] : v,
        );
        return { ok: true, value };
      } catch {
        // Report the error from the original text, whose positions the user can see.
      }
    }
    const message = (first as Error).message;
    const pos = /position (\d+)/.exec(message);
    const lineCol = /\(line (\d+) column (\d+)\)/.exec(message);
    let line: number | undefined;
    let column: number | undefined;
    if (lineCol) {
      line = Number(lineCol[1]);
      column = Number(lineCol[2]);
    } else if (pos) {
      ({ line, column } = lineColumnAt(text, Number(pos[1])));
    } else if (/end of JSON input/i.test(message)) {
      ({ line, column } = lineColumnAt(text, text.length));
    }
    return {
      ok: false,
      problem: {
        code: "run-file-invalid-json",
        message: `invalid JSON: ${message.replace(/\s*\(line \d+ column \d+\)$/, "").replace(/ in JSON at position \d+$/, "")}`,
        where: { file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) },
        hint: "The file must be one JSON document; check for trailing commas, comments or a truncated write.",
      },
    };
  }
}

/** Turns schema issues into problems that name the field path and, when found, its line:column. */
export function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  text: string,
  file: string,
  code: string,
): Problem[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  return issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    let offset: number | undefined;
    for (let n = path.length; n >= 0 && offset === undefined; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) offset = node.range[0];
    }
    const pos = offset === undefined ? undefined : lc.linePos(offset);
    return {
      code,
      message: `${path.length > 0 ? path.join(".") : "(top level)"}: ${issue.message}`,
      where: { file, ...(pos ? { line: pos.line, column: pos.col } : {}) },
    };
  });
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { line, column };
}

/** Replaces bare NaN/Infinity tokens outside strings with sentinel strings. */
function replaceNonFinite(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === "\\") out += text[++i] ?? "";
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = ["-Infinity", "Infinity", "NaN"].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(SENTINEL + token);
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  return out;
}
