import { readdir, readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";

/** One Markdown file of the documentation, by its path from the repository root. */
export type Doc = { path: string; text: string };

const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;

/** The lines of a Markdown text that are outside fenced code blocks, with their line numbers. */
export function proseLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let fence: string | null = null;
  text.split("\n").forEach((line, i) => {
    const m = FENCE.exec(line);
    if (m) {
      const ticks = m[1]!;
      if (fence === null) fence = ticks;
      else if (ticks[0] === fence[0] && ticks.length >= fence.length && m[2]!.trim() === "") fence = null;
      return;
    }
    if (fence === null) out.push({ line: i + 1, text: line });
  });
  return out;
}

/** The contents of every fenced block whose info string is `lang`. */
export function fencedBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1]!);
}

/** GitHub's anchor for a heading: lower-cased, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a page's headings, in order (duplicates kept, so callers can find them). */
export function headingSlugs(text: string): string[] {
  return proseLines(text)
    .map((l) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l.text)?.[1])
    .filter((h): h is string => h !== undefined)
    .map(slug);
}

/** Inline links outside code: `[text](target)`, with the line they are on. */
export function links(text: string): Array<{ line: number; target: string }> {
  return proseLines(text).flatMap((l) =>
    [...l.text.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({
      line: l.line,
      target: m[1]!,
    })),
  );
}

/**
 * Relative links that point nowhere: a file that is not there, or an `#anchor` that no heading of
 * the target page makes. `exists` says whether a repository path is a file or folder.
 */
export function brokenLinks(docs: readonly Doc[], exists: (path: string) => boolean): string[] {
  const byPath = new Map(docs.map((d) => [d.path, d]));
  return docs.flatMap((doc) =>
    links(doc.text)
      .filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target))
      .flatMap(({ line, target }) => {
        const [file, anchor] = target.split("#", 2) as [string, string | undefined];
        const path = file === "" ? doc.path : normalize(join(dirname(doc.path), decodeURI(file)));
        const where = `${doc.path}:${line}: ${target}`;
        if (path.startsWith("..") || !exists(path)) return [`${where}: no such file`];
        if (anchor === undefined) return [];
        const page = byPath.get(path);
        if (!page) return [`${where}: anchor into a page that is not checked`];
        return headingSlugs(page.text).includes(anchor) ? [] : [`${where}: no heading makes #${anchor}`];
      }),
  );
}

/** README.md and every Markdown page under docs/. */
export async function readDocs(root = "."): Promise<Doc[]> {
  const pages = (await readdir(join(root, "docs"))).filter((f) => f.endsWith(".md")).sort();
  const paths = ["README.md", ...pages.map((f) => `docs/${f}`)];
  return Promise.all(paths.map(async (path) => ({ path, text: await readFile(join(root, path), "utf8") })));
}
