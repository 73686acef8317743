import { readFile } from "node:fs/promises";
import { ModelshipError } from "../../core/errors.ts";
import { parseConfig } from "../../core/config/parse-config.ts";
import { ConfigSchema, type Config } from "../../core/config/schema.ts";

export const DEFAULT_CONFIG_PATH = ".github/modelship.yml";

/** Reads and validates a config file; a missing default file means "all defaults". */
export async function loadConfig(
  path: string = DEFAULT_CONFIG_PATH,
  opts: { required?: boolean } = {},
): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && !opts.required) return ConfigSchema.parse({});
    throw new ModelshipError({
      code: "config-unreadable",
      message: `cannot read ${path}: ${(err as Error).message}`,
      where: { file: path },
      hint: "Pass --config with the path to your modelship.yml, or run `modelship init`.",
    });
  }
  const result = parseConfig(text, path);
  if (!result.ok) throw new ModelshipError(result.problems);
  return result.config;
}
