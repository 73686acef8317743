/** Translates a glob (`**`, `*`, `?`, `{a,b}`) to an anchored regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else if (ch === "{" && !inBraces) {
      inBraces = true;
      re += "(?:";
    } else if (ch === "}" && inBraces) {
      inBraces = false;
      re += ")";
    } else if (ch === "," && inBraces) re += "|";
    else re += ch.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  if (inBraces) re += ")";
  // A directory glob such as `src/` or `data` also covers what is inside it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** True when any changed file matches any glob. */
export function matchesPaths(files: readonly string[], globs: readonly string[]): boolean {
  const res = globs.map((g) => globToRegExp(g.replace(/^\.\//, "").replace(/\/$/, "")));
  return files.some((f) => res.some((re) => re.test(f)));
}

/**
 * Globs that trigger training on a push: `github.paths` when set, else the data files, the config
 * and code files (a starting point that catches model changes and ignores docs).
 */
export function trainingPaths(config: {
  github: { paths: string[] };
  data: { source: string[]; sources?: ReadonlyArray<{ kind: string; path?: string }> };
}): string[] {
  if (config.github.paths.length > 0) return config.github.paths;
  return [
    ...config.data.source,
    ...(config.data.sources ?? []).flatMap((s) => (s.path !== undefined ? [s.path] : [])),
    ".github/modelship.yml",
    "**/*.{py,ts,js,mjs,cjs,ipynb,r,R,jl,json,yaml,yml,toml,cfg,csv,jsonl,parquet}",
    "**/requirements*.txt",
  ];
}
