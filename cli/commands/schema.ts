import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { configJsonSchema } from "../../core/config/json-schema.ts";
import { info } from "../shared/output.ts";

/** `modelship schema`: print or write the config's JSON Schema (for editor completion). */
export function register(program: Command): void {
  program
    .command("schema")
    .description("Print the JSON Schema of modelship.yml, or write it with --write.")
    .option("--write <path>", "write the schema to this file")
    .action(async (opts: { write?: string }) => {
      const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
      if (!opts.write) return void process.stdout.write(text);
      await mkdir(dirname(opts.write), { recursive: true });
      await writeFile(opts.write, text);
      info(`wrote ${opts.write}`);
    });
}
