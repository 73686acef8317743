const NOTE = "\n\n… (truncated)";

/** Cuts `text` to at most `max` characters (UTF-16 units, as GitHub counts), ending with a note when cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= NOTE.length) return text.slice(0, max);
  let cut = max - NOTE.length;
  // Do not split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + NOTE;
}
