import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { allTemplatePaths, type TemplateTexts } from "../../core/init/render-init-files.ts";

/** The `templates/` folder shipped with modelship. */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/** Reads every template `modelship init` may render. */
export async function readInitTemplates(dir: string = TEMPLATES_DIR): Promise<TemplateTexts> {
  const entries = await Promise.all(
    allTemplatePaths().map(async (p) => [p, await readFile(`${dir}/${p}`, "utf8")] as const),
  );
  return new Map(entries);
}
