/** A parsed Semantic Versioning 2.0.0 version. Build metadata never affects precedence. */
export type Semver = {
  major: number;
  minor: number;
  patch: number;
  prerelease: readonly (string | number)[];
  build: readonly string[];
};

const NUMERIC = "0|[1-9]\\d*";
const PRERELEASE_ID = "(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)";
const BUILD_ID = "[0-9a-zA-Z-]+";
const SEMVER_RE = new RegExp(
  `^(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);

/** Parses `1.2.3`, `1.2.3-rc.1+build.5` (strict semver 2.0.0, no leading `v`); undefined when invalid. */
export function parseSemver(text: string): Semver | undefined {
  const m = SEMVER_RE.exec(text);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  const prerelease = m[4] ? m[4].split(".").map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [];
  if (prerelease.some((id) => typeof id === "number" && !Number.isSafeInteger(id))) return undefined;
  return { major, minor, patch, prerelease, build: m[5] ? m[5].split(".") : [] };
}

/** Accepts an optional leading `v` (`v1.2.3`) as users type it; returns the canonical string or undefined. */
export function normalizeVersion(text: string): string | undefined {
  const parsed = parseSemver(text.startsWith("v") ? text.slice(1) : text);
  return parsed ? formatSemver(parsed) : undefined;
}

/** Formats a version back to its canonical string. */
export function formatSemver(v: Semver): string {
  const pre = v.prerelease.length ? `-${v.prerelease.join(".")}` : "";
  const build = v.build.length ? `+${v.build.join(".")}` : "";
  return `${v.major}.${v.minor}.${v.patch}${pre}${build}`;
}

/** Semver precedence: negative when a < b, 0 when equal (build metadata ignored), positive when a > b. */
export function compareSemver(a: Semver, b: Semver): number {
  for (const key of ["major", "minor", "patch"] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  // A release outranks its own pre-releases: 1.0.0-rc.1 < 1.0.0.
  if (!a.prerelease.length && !b.prerelease.length) return 0;
  if (!a.prerelease.length) return 1;
  if (!b.prerelease.length) return -1;
  const n = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x < y ? -1 : 1;
    if (typeof x === "number") return -1;
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares two version strings; throws on an invalid one (callers validate first). */
export function compareVersions(a: string, b: string): number {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa || !pb) throw new Error(`not a semantic version: ${pa ? b : a}`);
  return compareSemver(pa, pb);
}

/** The highest version by semver precedence, ignoring strings that are not versions. */
export function highestVersion(versions: Iterable<string>): string | undefined {
  let best: { text: string; v: Semver } | undefined;
  for (const text of versions) {
    const v = parseSemver(text);
    if (v && (!best || compareSemver(v, best.v) > 0)) best = { text, v };
  }
  return best?.text;
}
