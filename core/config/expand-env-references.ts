import { ModelshipError } from "../errors.ts";
import { ENV_REFERENCE } from "./data-sources-schema.ts";

/**
 * Replaces every `${NAME}` in `text` with the environment's value. A name that is not set is an
 * error naming the variable (never a value), so a secret cannot leak into a message.
 */
export function expandEnvReferences(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  at: string,
): string {
  const missing: string[] = [];
  const out = text.replace(ENV_REFERENCE, (_all, name: string) => {
    const value = env[name];
    if (value === undefined || value === "") {
      missing.push(name);
      return "";
    }
    return value;
  });
  if (missing.length > 0) {
    throw new ModelshipError({
      code: "data-env-missing",
      message: `${at} needs the environment variable${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which ${missing.length > 1 ? "are" : "is"} not set`,
      hint: "Export it before running (in GitHub Actions: env: NAME: ${{ secrets.NAME }}); secrets never go in modelship.yml.",
    });
  }
  return out;
}
