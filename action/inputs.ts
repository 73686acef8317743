import { z } from "zod";
import { ModelshipError, type Problem } from "../core/errors.ts";
import { MAX_TRIALS } from "../core/sweep/plan-sweep.ts";
import { PRUNERS, SAMPLERS } from "../core/sweep/study.ts";

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
  "sweep-tell",
  "sweep-best",
  "ab-report",
  "drift",
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
      "Run directory: the candidate for report and register; for train, where run directories are written (default .modelship/runs); for sweep-best, the folder holding one run directory per trial; for data-validate, where validation.json is written (default .modelship/validation); for drift, where drift.json and drift.md are written (default .modelship/drift).",
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
  study: {
    description:
      "sweep-plan and sweep-tell: name of the study stored on the modelship-studies branch (.modelship/studies/NAME/study.json). sweep-plan asks its sampler for the next trials given those that finished; sweep-tell records the trials' runs in it. Without it, sweep-plan draws trials with no memory.",
    required: false,
  },
  sampler: {
    description:
      "sweep-plan: how trials are drawn from train.search: random or grid (default random); with `study`, also tpe (a new study's default: tpe; a stored study keeps its own).",
    required: false,
  },
  pruner: {
    description:
      "sweep-plan with `study`: a new study's pruner, median, hyperband or none (default median). Matrix trials apply it at each epoch against the curves of the trials finished before the plan (output `pruning`).",
    required: false,
  },
  pruning: {
    description:
      "train: the `pruning` output of sweep-plan; the trial stops early when the study's pruner says so, judged against the finished trials' curves (built-in trainer only). Needs `trial-number`.",
    required: false,
  },
  "trial-number": {
    description:
      "train with `pruning`: the trial's number in its study (`number` of the sweep-plan matrix entry).",
    required: false,
  },
  seed: {
    description:
      "sweep-plan: seed of the sampler, same seed, same trials (default 1; a stored study keeps its own).",
    required: false,
  },
  "grid-points": {
    description: "sweep-plan: points per continuous range in a grid sweep.",
    required: false,
    default: "3",
  },
  current: {
    description:
      "drift: CSV, JSON or JSON-lines file of feature rows, relative to the workspace, to compare instead of the environment's prediction log.",
    required: false,
  },
  reference: {
    description:
      "drift: the training reference, a run or version directory, a version, `latest` or an alias. Default: the version live in the environment, else the alias named after it.",
    required: false,
  },
  since: {
    description:
      "drift: only prediction-log requests answered at or after this ISO 8601 time, e.g. 2026-03-01T00:00:00Z.",
    required: false,
  },
  "metrics-file": {
    description:
      "drift: also write the drift gauges (modelship_dataset_drift, modelship_feature_drift, ...) in Prometheus text format to this file, e.g. in node_exporter's textfile directory.",
    required: false,
  },
  "fail-on-drift": {
    description:
      "drift: fail the step (decision fail, reason dataset-drift) when the dataset drifted. Off by default: the report, outputs and the App's issue say it.",
    required: false,
    default: "false",
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
      "Path of the Markdown report written by report and register; data-validate: the validation.json it wrote; drift: the drift.json it wrote (drift.md beside it).",
  },
  metrics: { description: "The candidate's metrics as a JSON object (sweep-best: the best trial's)." },
  "plots-dir": {
    description:
      "report, in a pull request with a baseline: the folder of the candidate's plots drawn next to the baseline's (plots/ and comparison.json); upload it as <artifactName>-plots for the App. Empty otherwise, or when they could not be drawn.",
  },
  "deployment-url": { description: "URL of the environment after deploy or rollback." },
  "run-dir": {
    description:
      "train: the run directory written, relative to the workspace (upload it as the artifact). sweep-best: the best trial's run directory.",
  },
  trials: {
    description:
      "sweep-plan: the trials as a JSON array of {id, params} (with `study`, {id, number, params}), for `strategy.matrix` through fromJSON.",
  },
  pruning: {
    description:
      "sweep-plan with `study`: the study's pruner and the per-epoch curves of its finished trials (at most 100,000 characters, oldest trials left out first), for the `pruning` input of each trial's train; empty when the study's pruner is none.",
  },
  trial: {
    description:
      "sweep-best: id of the best trial (t01, t02, ...). sweep-tell: the study's best complete trial (t000, t001, ...).",
  },
  params: {
    description:
      "sweep-best and sweep-tell: the best trial's parameters as a JSON object (the `params` input of train).",
  },
  drift: { description: "drift: true when the dataset drifted, else false (also with not enough data)." },
  share: { description: "drift: share of features that drifted, 0 to 1." },
  study: {
    description:
      "sweep-tell: the study as JSON, { study, best: { trial, params, value }, trials: [{ number, state, params, value, epochs }] }.",
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
  study: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, '.', '_' or '-' (at most 64)")
      .optional(),
  ),
  sampler: optionalText.pipe(z.enum(SAMPLERS).optional()),
  pruner: optionalText.pipe(z.enum(PRUNERS).optional()),
  pruning: optionalText,
  "trial-number": optionalText.pipe(wholeNumber("a whole number").optional()),
  seed: optionalText.pipe(wholeNumber("a whole number").optional()),
  "grid-points": wholeNumber("a whole number of points"),
  current: optionalText,
  reference: optionalText,
  since: optionalText.pipe(
    z
      .string()
      .refine((t) => !Number.isNaN(Date.parse(t)), "not a time: use ISO 8601, e.g. 2026-03-01T00:00:00Z")
      .transform((t) => new Date(Date.parse(t)))
      .optional(),
  ),
  "metrics-file": optionalText,
  "fail-on-drift": z
    .string()
    .trim()
    .pipe(z.enum(["true", "false"]))
    .transform((v) => v === "true"),
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
