import { z } from "zod";
import { ModelshipError, type Problem } from "../core/errors.ts";
import { MAX_TRIALS } from "../core/sweep/plan-sweep.ts";

/** The Action's commands; `command:` must be one of these. */
export const ACTION_COMMANDS = [
  "train",
  "report",
  "register",
  "deploy",
  "rollback",
  "validate",
  "data-validate",
  "sweep-plan",
  "sweep-best",
] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

export type InputSpec = { description: string; required: boolean; default?: string };
export type OutputSpec = { description: string };

/** Every input of `action.yml`, in order. `action.yml` is generated from (and tested against) this. */
export const ACTION_INPUTS = {
  command: {
    description: `What to do: ${ACTION_COMMANDS.join(", ")}.`,
    required: true,
  },
  config: {
    description: "Path of the Modelship config, relative to the workspace.",
    required: false,
    default: ".github/modelship.yml",
  },
  model: {
    description: "Model name; defaults to model.name from the config.",
    required: false,
  },
  "run-dir": {
    description:
      "Run directory: the candidate for report and register; for train, where run directories are written (default .modelship/runs); for sweep-best, the folder holding one run directory per trial; for data-validate, where validation.json is written (default .modelship/validation).",
    required: false,
  },
  baseline: {
    description:
      "What report and register compare with: a run directory, a version, `latest` or an alias. Default: the version live in the environment, else the latest.",
    required: false,
  },
  environment: {
    description:
      "Deployment environment; defaults to the deployment's environment, else deploy.environment from the config.",
    required: false,
  },
  version: {
    description:
      "register: exact version to create. deploy and rollback: version, `latest` or alias to deploy (default: the deployment payload's version, else latest; rollback: the version live before).",
    required: false,
  },
  params: {
    description: "train: JSON object of parameter overrides, each within the config's train.search bounds.",
    required: false,
  },
  "run-id": {
    description:
      "train: id of the run and name of its run directory. Default: the App's correlation_id, else gh-<run id>-<attempt>; give each job of a matrix its own.",
    required: false,
  },
  pr: {
    description: "Pull request number to comment on; defaults to the pull request of the event.",
    required: false,
  },
  "checkpoint-dir": {
    description:
      "train: directory for checkpoints, handed to the trainer as MODELSHIP_CHECKPOINT_DIR; cache it with actions/cache to resume.",
    required: false,
    default: ".modelship/checkpoints",
  },
  trials: {
    description: `sweep-plan: number of trials, 1 to ${MAX_TRIALS} (a grid sweep stops at the grid's size).`,
    required: false,
    default: "8",
  },
  sampler: {
    description: "sweep-plan: how trials are drawn from train.search, random or grid.",
    required: false,
    default: "random",
  },
  seed: {
    description: "sweep-plan: seed of the random sampler (same seed, same trials).",
    required: false,
    default: "1",
  },
  "grid-points": {
    description: "sweep-plan: points per continuous range in a grid sweep.",
    required: false,
    default: "3",
  },
  "github-token": {
    description: "Token for the GitHub API (comments, releases, deployment statuses).",
    required: false,
    default: "${{ github.token }}",
  },
} as const satisfies Record<string, InputSpec>;

/** Every output of `action.yml`, in order. */
export const ACTION_OUTPUTS = {
  decision: { description: "pass, fail or error." },
  "reason-code": { description: "Why: a kebab-case reason code such as gates-failed or promoted." },
  version: { description: "Model version registered, deployed or rolled back." },
  "report-path": {
    description:
      "Path of the Markdown report written by report and register; data-validate: the validation.json it wrote.",
  },
  metrics: { description: "The candidate's metrics as a JSON object (sweep-best: the best trial's)." },
  "deployment-url": { description: "URL of the environment after deploy or rollback." },
  "run-dir": {
    description:
      "train: the run directory written, relative to the workspace (upload it as the artifact). sweep-best: the best trial's run directory.",
  },
  trials: {
    description:
      "sweep-plan: the trials as a JSON array of {id, params}, for `strategy.matrix` through fromJSON.",
  },
  trial: { description: "sweep-best: id of the best trial (t01, t02, ...)." },
  params: {
    description: "sweep-best: the best trial's parameters as a JSON object (the `params` input of train).",
  },
} as const satisfies Record<string, OutputSpec>;

export type InputName = keyof typeof ACTION_INPUTS;
export type OutputName = keyof typeof ACTION_OUTPUTS;

const optionalText = z
  .string()
  .transform((s) => s.trim())
  .transform((s) => (s === "" ? undefined : s));

const JsonObjectText = z.string().transform((text, ctx) => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `not valid JSON (${(err as Error).message})` });
    return z.NEVER;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: 'must be a JSON object such as {"epochs": 20}' });
    return z.NEVER;
  }
  return value as Record<string, unknown>;
});

function wholeNumber(what: string) {
  return z
    .string()
    .trim()
    .regex(/^[0-9]{1,9}$/, what)
    .transform(Number);
}

/** The inputs after validation: what the commands receive. */
export const ActionInputsSchema = z.object({
  command: z.enum(ACTION_COMMANDS),
  config: z.string().trim().min(1),
  model: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lower-case letters, digits, '.', '_' or '-'")
      .optional(),
  ),
  "run-dir": optionalText,
  baseline: optionalText,
  environment: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' or '-'")
      .optional(),
  ),
  version: optionalText,
  params: optionalText.pipe(JsonObjectText.optional()),
  "run-id": optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, '.', '_' or '-' (at most 128)")
      .optional(),
  ),
  pr: optionalText.pipe(
    z
      .string()
      .regex(/^[1-9][0-9]{0,9}$/, "a pull request number")
      .transform(Number)
      .optional(),
  ),
  "checkpoint-dir": z.string().trim().min(1),
  trials: wholeNumber("a whole number of trials"),
  sampler: z
    .string()
    .trim()
    .pipe(z.enum(["random", "grid"])),
  seed: wholeNumber("a whole number"),
  "grid-points": wholeNumber("a whole number of points"),
  "github-token": optionalText,
});
export type ActionInputs = z.infer<typeof ActionInputsSchema>;

/**
 * Reads every input through `getInput` (empty when unset, as on the runner), fills the registry's
 * defaults for direct invocations, and validates; errors name the input.
 */
export function parseActionInputs(getInput: (name: string) => string): ActionInputs {
  const raw: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ACTION_INPUTS) as [InputName, InputSpec][]) {
    const value = getInput(name);
    raw[name] =
      value === "" && spec.default !== undefined && !spec.default.includes("${{") ? spec.default : value;
  }
  const parsed = ActionInputsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems: Problem[] = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? "command");
    const got = raw[name] ?? "";
    return {
      code: "input-invalid",
      message: `input '${name}': ${issue.code === "invalid_value" ? `expected one of ${issue.values.join(", ")}` : issue.message}${got === "" ? " (it is empty)" : ""}`,
      hint: `Set \`with: ${name}: ...\` in the workflow step; see Modelship's docs/action.md for allowed values.`,
    };
  });
  throw new ModelshipError(problems);
}
