/** Longest untrusted string shown in a table cell or sentence before it is cut. */
export const DEFAULT_MAX_TEXT = 200;

// Bidirectional overrides and isolates can make text read differently from what it is.
const BIDI = /[\u202A-\u202E\u2066-\u2069]/g;
// C0/C1 control characters (including ESC, which drives terminals), but not tab or newlines.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// Characters with a Markdown meaning inline: emphasis, code, links, images, strikethrough, tables.
const MARKDOWN_PUNCTUATION = /[\\`*_[\]|~!#]/g;

/** Cuts `text` to at most `max` code points, ending with "…" when cut. */
export function truncateText(text: string, max: number = DEFAULT_MAX_TEXT): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Removes control and bidi-override characters; newlines and tabs become spaces. */
export function stripControl(text: string): string {
  return text
    .replace(BIDI, "")
    .replace(CONTROL, "")
    .replace(/\r\n|[\r\n\t\u2028\u2029]/g, " ");
}

/**
 * Escapes untrusted text for one line of GitHub Markdown (prose or a table cell): no raw HTML,
 * no @-mentions, no way to close a hidden `<!-- -->` marker, no pipes or newlines, capped length.
 */
export function escapeMarkdown(text: string, opts: { maxLength?: number } = {}): string {
  const capped = truncateText(stripControl(text), opts.maxLength ?? DEFAULT_MAX_TEXT);
  return (
    capped
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(MARKDOWN_PUNCTUATION, (ch) => `\\${ch}`)
      // A zero-width space after @ stops GitHub from notifying the user or team.
      .replace(/@/g, "@&#8203;")
      // "://" would let GitHub autolink an untrusted URL.
      .replace(/:\/\//g, ":&#47;&#47;")
  );
}

/**
 * Untrusted text as an inline code span when it is made of harmless characters (ids, hashes,
 * paths), otherwise as escaped text.
 */
export function escapeCode(text: string, opts: { maxLength?: number } = {}): string {
  const capped = truncateText(stripControl(text), opts.maxLength ?? DEFAULT_MAX_TEXT);
  if (capped.length > 0 && /^[A-Za-z0-9._:/+=,-]+$/.test(capped)) return `\`${capped}\``;
  return escapeMarkdown(capped, { maxLength: Number.MAX_SAFE_INTEGER });
}

/**
 * Text safe inside an HTML comment (the hidden report marker): anything other than
 * letters, digits and `._/-` is percent-encoded, so `-->` and `--!>` cannot appear.
 */
export function escapeCommentText(text: string, opts: { maxLength?: number } = {}): string {
  const capped = truncateText(text, opts.maxLength ?? DEFAULT_MAX_TEXT);
  return Array.from(new TextEncoder().encode(capped))
    .map((b) => {
      const ch = String.fromCharCode(b);
      return /[A-Za-z0-9._/-]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** Untrusted text for a terminal: no control characters (no ANSI escapes), one line, capped. */
export function escapeTerminal(text: string, opts: { maxLength?: number } = {}): string {
  return truncateText(stripControl(text), opts.maxLength ?? DEFAULT_MAX_TEXT);
}

/**
 * The URL when it is a plain http(s) URL that is safe to put in a Markdown link target
 * (no spaces, quotes, brackets, parentheses, `@` or `<>`), otherwise null.
 */
export function safeUrl(url: string): string | null {
  if (url.length > 500 || !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~:/?#&=%+,;!$*-]*)?$/.test(url))
    return null;
  return url;
}
