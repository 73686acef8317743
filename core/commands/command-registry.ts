/** Every slash command the App understands. A comment whose first token is not here is ignored. */
export const COMMAND_NAMES = [
  "train",
  "compare",
  "sweep",
  "deploy",
  "rollback",
  "promote",
  "lock",
  "unlock",
  "ab-report",
  "help",
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export type CommandSpec = { name: CommandName; usage: string; description: string };

/** The fixed registry, in the order `/help` lists it. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "train",
    usage: "/train [key=value …]",
    description: "Train this pull request's head commit; only parameters declared in `train.search`.",
  },
  {
    name: "compare",
    usage: "/compare [baseline]",
    description: "Re-render the report for the latest training run against a version or alias.",
  },
  {
    name: "sweep",
    usage: "/sweep N [--sampler tpe|random|grid] [--pruner median|hyperband|none]",
    description:
      "Run N more trials of this pull request's hyperparameter study on the runner matrix; the study table is posted here.",
  },
  {
    name: "deploy",
    usage: "/deploy [env]",
    description: "Deploy the version this pull request produced (the default environment if omitted).",
  },
  {
    name: "rollback",
    usage: "/rollback [env] [version]",
    description: "Redeploy the previous version (or the given one) to an environment.",
  },
  {
    name: "promote",
    usage: "/promote VERSION ENV",
    description: "Deploy a registered version to an environment.",
  },
  { name: "lock", usage: "/lock [env]", description: "Lock an environment against deploys." },
  { name: "unlock", usage: "/unlock [env]", description: "Remove an environment's deploy lock." },
  {
    name: "ab-report",
    usage: "/ab-report [env]",
    description:
      "Post the A/B report of the split an environment holds (per-variant latency, errors, accuracy and the verdict).",
  },
  { name: "help", usage: "/help", description: "Show this table." },
];

/** True when `token` is exactly a registered command word such as `/train`. */
export function isCommandToken(token: string): token is `/${CommandName}` {
  return token.startsWith("/") && (COMMAND_NAMES as readonly string[]).includes(token.slice(1));
}
