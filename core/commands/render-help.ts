import type { Config } from "../config/schema.ts";
import { COMMANDS } from "./command-registry.ts";
import { knownEnvironments } from "./validate-command.ts";

/** The `/help` reply: every command, who may run it, and what `/train` accepts in this repository. */
export function renderHelp(config: Config): string {
  const rows = COMMANDS.map(
    (c) => `| \`${c.usage}\` | ${c.description} | ${config.github.permissions[c.name]} |`,
  );
  const search = Object.entries(config.train.search).map(([key, dim]) =>
    "values" in dim
      ? `\`${key}\` ∈ {${dim.values.map((v) => `\`${String(v)}\``).join(", ")}}`
      : `\`${key}\` ∈ [${dim.min}, ${dim.max}]${dim.integer ? " (integer)" : ""}`,
  );
  return [
    "### Modelship commands",
    "",
    "Write the command at the start of the first line of a pull-request comment.",
    "",
    "| Command | What it does | Minimum permission |",
    "|---|---|---|",
    ...rows,
    "",
    `Environments: ${knownEnvironments(config)
      .map((e) => `\`${e}\``)
      .join(", ")}.`,
    search.length > 0
      ? `\`/train\` parameters: ${search.join(", ")}.`
      : "`/train` takes no parameters: the config declares none under `train.search`.",
  ].join("\n");
}
