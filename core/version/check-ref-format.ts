/**
 * Why `ref` is not a valid git reference name, following `git check-ref-format` (without
 * `--allow-onelevel` or `--refspec-pattern`); undefined when it is valid.
 */
export function checkRefFormat(ref: string): string | undefined {
  if (ref === "@") return "is the single character '@'";
  if (ref.startsWith("/") || ref.endsWith("/")) return "begins or ends with '/'";
  if (ref.includes("//")) return "contains '//'";
  if (ref.endsWith(".")) return "ends with '.'";
  if (ref.includes("..")) return "contains '..'";
  if (ref.includes("@{")) return "contains '@{'";
  const bad = /[\x00-\x20\x7f~^:?*[\\]/.exec(ref);
  if (bad) return `contains the character ${JSON.stringify(bad[0])}`;
  const components = ref.split("/");
  if (components.length < 2) return "has a single component (needs at least one '/')";
  for (const c of components) {
    if (c.startsWith(".")) return `has a component that begins with '.' (${c})`;
    if (c.endsWith(".lock")) return `has a component that ends with '.lock' (${c})`;
  }
  return undefined;
}
