import { dirname, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

// The sources run from the package root; the compiled copy runs from build/, one folder deeper.
const PACKAGE_ROOT = new URL(import.meta.url.endsWith(".ts") ? "../../" : "../../../", import.meta.url);

/** The JSON Schema of modelship.yml that ships at the package root (`schema/`). */
export const SHIPPED_SCHEMA = fileURLToPath(new URL("schema/modelship.schema.json", PACKAGE_ROOT));

/** The schema's path relative to a config file, with `/` separators as YAML editors expect. */
export function schemaPathFrom(configFile: string, schemaFile: string = SHIPPED_SCHEMA): string {
  return relative(dirname(configFile), schemaFile).split(sep).join("/");
}
