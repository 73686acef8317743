import { LineCounter, parseDocument } from "yaml";
import type { SourceLocation } from "../../errors.ts";

/** Where each entry of `data.expectations` starts in the config text (file:line:column), by index. */
export function locateExpectations(text: string, file: string): (SourceLocation | undefined)[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const list = doc.getIn(["data", "expectations"], true) as { items?: unknown[] } | undefined;
  const items = Array.isArray(list?.items) ? list.items : [];
  return items.map((item) => {
    const offset = (item as { range?: [number, number, number] } | null)?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  });
}
