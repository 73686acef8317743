import { ModelshipError } from "../errors.ts";
import { normalizeVersion } from "../version/semver.ts";
import { checkAliasName } from "./alias-event.ts";

/** The canonical form of a version a caller asked for; throws invalid-version when it is not semver. */
export function checkVersionInput(version: string): string {
  const canonical = normalizeVersion(version);
  if (canonical === undefined) {
    throw new ModelshipError({ code: "invalid-version", message: `"${version}" is not a semantic version` });
  }
  return canonical;
}

/** Throws invalid-alias-name when `alias` cannot name an alias. */
export function checkAliasInput(alias: string): void {
  const why = checkAliasName(alias);
  if (why !== undefined) {
    throw new ModelshipError({
      code: "invalid-alias-name",
      message: why,
      hint: "Use a name such as production or staging.",
    });
  }
}
