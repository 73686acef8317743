import { cp, mkdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { simpleGit } from "simple-git";
import { ModelshipError } from "../../core/errors.ts";

const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));
export const EXAMPLES = ["penguins"] as const;
export type ExampleName = (typeof EXAMPLES)[number];

/**
 * Lays out a bundled example as its own git repository (config, data, first commit), so the
 * loop has a registry and lineage without touching the caller's repository. Reused when present,
 * so a second run compares with what the first one deployed.
 */
export async function prepareExampleWorkspace(example: string, dir: string): Promise<string> {
  if (!(EXAMPLES as readonly string[]).includes(example)) {
    throw new ModelshipError({
      code: "example-unknown",
      message: `there is no bundled example '${example}'`,
      hint: `Bundled examples: ${EXAMPLES.join(", ")}.`,
    });
  }
  const ws = resolve(dir);
  const exists = await stat(join(ws, ".git")).then(
    () => true,
    () => false,
  );
  if (exists) return ws;
  const source = join(EXAMPLES_DIR, example);
  await mkdir(join(ws, ".github"), { recursive: true });
  await cp(join(source, "modelship.yml"), join(ws, ".github", "modelship.yml"));
  await cp(join(source, "data"), join(ws, "examples", example, "data"), { recursive: true });
  await writeFile(join(ws, ".gitignore"), ".modelship/\n");
  const git = simpleGit(ws);
  await git.init();
  await git.addConfig("user.name", "Modelship example", false, "local");
  await git.addConfig("user.email", "example@modelship.local", false, "local");
  await git.add(".");
  await git.commit(`Add the ${example} example`);
  return ws;
}
