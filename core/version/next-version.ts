import { compareSemver, formatSemver, highestVersion, parseSemver, type Semver } from "./semver.ts";

export type Bump = "major" | "minor" | "patch";

/** The first version a model gets, whatever the bump: there is nothing to be compatible with yet. */
export const FIRST_VERSION = "1.0.0";

/**
 * The version after `latest` for a bump. A pre-release is finished rather than skipped over, as npm
 * does it: 2.0.0-rc.1 + major → 2.0.0, 1.2.0-rc.1 + minor → 1.2.0, 1.2.3-rc.1 + patch → 1.2.3.
 */
export function nextVersion(latest: string | undefined, bump: Bump): string {
  if (latest === undefined) return FIRST_VERSION;
  const v = parseSemver(latest);
  if (!v) throw new Error(`not a semantic version: ${latest}`);
  const pre = v.prerelease.length > 0;
  switch (bump) {
    case "major":
      return pre && v.minor === 0 && v.patch === 0
        ? formatSemver({ ...v, prerelease: [], build: [] })
        : formatSemver({ major: v.major + 1, minor: 0, patch: 0, prerelease: [], build: [] });
    case "minor":
      return pre && v.patch === 0
        ? formatSemver({ ...v, prerelease: [], build: [] })
        : formatSemver({ major: v.major, minor: v.minor + 1, patch: 0, prerelease: [], build: [] });
    case "patch":
      return pre
        ? formatSemver({ ...v, prerelease: [], build: [] })
        : formatSemver({ major: v.major, minor: v.minor, patch: v.patch + 1, prerelease: [], build: [] });
  }
}

export type ExplicitVersionCheck =
  | { ok: true; version: string }
  | { ok: false; code: "invalid-version" | "version-taken" | "version-not-greater"; message: string };

/**
 * Checks a version asked for by hand: valid semver (a leading `v` is dropped), never used before
 * (build metadata does not make a version new), and greater than every existing one.
 */
export function checkExplicitVersion(requested: string, existing: readonly string[]): ExplicitVersionCheck {
  const raw = requested.startsWith("v") ? requested.slice(1) : requested;
  const v = parseSemver(raw);
  if (!v) {
    return {
      ok: false,
      code: "invalid-version",
      message: `"${requested}" is not a semantic version (MAJOR.MINOR.PATCH)`,
    };
  }
  const version = formatSemver(v);
  for (const text of existing) {
    const e = parseSemver(text);
    if (e && compareSemver(v, e) === 0) {
      return { ok: false, code: "version-taken", message: `version ${version} is already taken by ${text}` };
    }
  }
  const highest = highestVersion(existing);
  if (highest !== undefined && compareSemver(v, parseSemver(highest) as Semver) < 0) {
    return {
      ok: false,
      code: "version-not-greater",
      message: `version ${version} is not greater than the latest version ${highest}`,
    };
  }
  return { ok: true, version };
}
