import type { Problem } from "../errors.ts";

/** A version that is not stored; `hint` says where a backend's versions come from. */
export function versionNotFound(name: string, version: string, hint: string): Problem {
  return { code: "version-not-found", message: `${name} ${version} is not in the registry`, hint };
}

/** A version that was there when registration decided and is gone when it was read back. */
export function versionVanished(name: string, version: string): Problem {
  return { code: "version-not-found", message: `${name} ${version} vanished` };
}

/** An alias whose head names a version that is not stored. */
export function aliasTargetMissing(name: string, alias: string, version: string, hint?: string): Problem {
  return {
    code: "alias-target-missing",
    message: `alias ${alias} of ${name} points at ${version}, which is not in the registry`,
    ...(hint !== undefined ? { hint } : {}),
  };
}

/** Every version a registration tried was taken by concurrent registrations. */
export function registrationRaceLost(name: string, attempts: number): Problem {
  return {
    code: "concurrent-update",
    message: `could not register ${name}: ${attempts} versions were taken by concurrent registrations`,
    hint: "Try again.",
  };
}

/** A version's tag stayed locked by another git process for every try; `detail` is git's message. */
export function tagLocked(tag: string, detail: string): Problem {
  return {
    code: "ref-locked",
    message: `could not create tag ${tag}: another git process held its lock for every try (${detail})`,
    hint: "If no other modelship or git command runs in this repository, remove the stale .lock file git names and register again.",
  };
}

/** Every compare-and-swap of an alias lost to another writer; `detail` is the last failure. */
export function aliasRaceLost(name: string, alias: string, attempts: number, detail: string): Problem {
  return {
    code: "concurrent-update",
    message: `could not move alias ${alias} of ${name} after ${attempts} attempts: ${detail}`,
    hint: "Another writer keeps moving it; try again.",
  };
}
