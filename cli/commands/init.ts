import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { applyInitPlan, readExistingFiles } from "../../adapters/init/apply-init-plan.ts";
import { findDataFiles, profileDataFile } from "../../adapters/init/read-data-files.ts";
import { readInitTemplates } from "../../adapters/init/read-templates.ts";
import { schemaPathFrom } from "../../adapters/init/shipped-schema.ts";
import { planStarterData } from "../../core/init/plan-starter-data.ts";
import { mergeProfiles } from "../../core/init/profile-columns.ts";
import { GITIGNORE_ENTRY, planGitignore } from "../../core/init/plan-gitignore.ts";
import { isQuiet } from "../shared/output.ts";
import { ModelshipError } from "../../core/errors.ts";
import {
  ACTION_PLACEHOLDER,
  INIT_TARGETS,
  INIT_TASKS,
  InitOptionsSchema,
  type InitOptions,
} from "../../core/init/init-options.ts";
import { planInit, planWrites, type InitStep, type InitStepKind } from "../../core/init/plan-init.ts";
import { renderInitFiles } from "../../core/init/render-init-files.ts";

type InitFlags = {
  dir: string;
  model?: string;
  runnerLabels: string;
  deployRunnerLabels?: string;
  deployTarget: string;
  task: string;
  target: string;
  data?: string;
  action: string;
  monitoring?: boolean;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
};

const DONE: Record<InitStepKind, string> = {
  create: "created",
  unchanged: "unchanged",
  "keep-edits": "kept your edits",
  overwrite: "overwrote",
  update: "updated",
};
const WOULD: Record<InitStepKind, string> = {
  create: "would create",
  unchanged: "unchanged",
  "keep-edits": "would keep your edits",
  overwrite: "would overwrite",
  update: "would update",
};

/** `modelship init`: write the config and workflow templates into a repository. */
export function register(program: Command): void {
  program
    .command("init")
    .description(
      "Write .github/modelship.yml and the training, deploy and sweep workflows into a repository, and keep .modelship/ out of git. Safe to rerun: files you edited are kept unless --force.",
    )
    .option("--dir <path>", "repository root", ".")
    .option("--model <name>", "model name (default: the repository folder's name)")
    .option("--task <task>", `what the model does: ${INIT_TASKS.join(" or ")}`, "classification")
    .option("--target <column>", "the column the model predicts", "label")
    .option(
      "--data <path>",
      "training data: a CSV, JSON or JSON-lines file or a glob (e.g. data/*.csv), relative to the repository root; checked for the --target column",
    )
    .option("--runner-labels <labels>", "comma-separated labels of the training runners", "self-hosted,gpu")
    .option(
      "--deploy-runner-labels <labels>",
      "comma-separated labels of the deploy runner (default: self-hosted,modelship-serve for local, ubuntu-latest for kubernetes)",
    )
    .option("--deploy-target <target>", `where models are deployed: ${INIT_TARGETS.join(" or ")}`, "local")
    .option("--action <ref>", "the Modelship Action the workflows use, OWNER/REPO@REF", ACTION_PLACEHOLDER)
    .option(
      "--monitoring",
      "also write monitoring/: a Grafana dashboard, Prometheus alert rules with their promtool tests, a scrape config",
    )
    .option("--force", "overwrite files that differ from what init writes (your edits are lost)")
    .option("--dry-run", "print what init would do and write nothing")
    .option("--json", "print the plan as JSON")
    .action(async (flags: InitFlags) => {
      const repoDir = resolve(flags.dir);
      const options = await withStarterData(parseInitFlags(flags, repoDir), repoDir, flags.data);
      const files = renderInitFiles(await readInitTemplates(), options);
      const existing = await readExistingFiles(repoDir, [...files.map((f) => f.path), ".gitignore"]);
      const steps = [
        ...planInit(files, existing, { force: flags.force === true }),
        planGitignore(existing.get(".gitignore")),
      ];
      if (!flags.dryRun) await applyInitPlan(repoDir, steps);
      if (flags.json) {
        const plan = steps.map(({ path, kind }) => ({ path, kind }));
        process.stdout.write(`${JSON.stringify({ dryRun: flags.dryRun === true, files: plan }, null, 2)}\n`);
        return;
      }
      if (!isQuiet()) process.stdout.write(describePlan(steps, options, flags.dryRun === true));
    });
}

function parseInitFlags(flags: InitFlags, repoDir: string): InitOptions {
  const list = (s: string) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== "");
  const parsed = InitOptionsSchema.safeParse({
    model: flags.model ?? modelNameFromDir(repoDir),
    runnerLabels: list(flags.runnerLabels),
    ...(flags.deployRunnerLabels !== undefined ? { deployRunnerLabels: list(flags.deployRunnerLabels) } : {}),
    target: flags.deployTarget,
    action: flags.action,
    task: flags.task,
    targetColumn: flags.target,
    monitoring: flags.monitoring === true,
    schemaPath: schemaPathFrom(join(repoDir, ".github", "modelship.yml")),
  });
  if (parsed.success) return parsed.data;
  const flagOf: Record<string, string> = {
    model: "--model",
    runnerLabels: "--runner-labels",
    deployRunnerLabels: "--deploy-runner-labels",
    target: "--deploy-target",
    action: "--action",
    task: "--task",
    targetColumn: "--target",
  };
  throw new ModelshipError(
    parsed.error.issues.map((issue) => {
      const flag = flagOf[String(issue.path[0])] ?? String(issue.path[0]);
      return {
        code: "init-invalid-option",
        message: `${flag}: ${issue.code === "invalid_value" ? `expected one of ${issue.values.join(", ")}` : issue.message}`,
        hint: "See `modelship init --help`.",
      };
    }),
  );
}

/** Points the starter config at `--data`, with the features and transforms it needs to train as written. */
async function withStarterData(
  options: InitOptions,
  repoDir: string,
  data: string | undefined,
): Promise<InitOptions> {
  if (data === undefined) return options;
  const files = await findDataFiles(repoDir, data);
  const profiles = await Promise.all(files.map((file) => profileDataFile(repoDir, file)));
  const plan = planStarterData({
    columns: mergeProfiles(profiles),
    target: options.targetColumn,
    task: options.task,
    data: files.length === 1 ? files[0]! : `the ${files.length} files of ${data}`,
  });
  if (!plan.ok) throw new ModelshipError(plan.problems);
  return { ...options, dataSources: files, features: plan.features, transforms: plan.transforms };
}

/** The folder's name as a model name, or `model` when it cannot be one. */
function modelNameFromDir(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return name === "" ? "model" : name;
}

function describePlan(steps: readonly InitStep[], options: InitOptions, dryRun: boolean): string {
  const words = dryRun ? WOULD : DONE;
  const width = Math.max(...steps.map((s) => words[s.kind].length));
  const lines = steps.map((s) => {
    const note =
      s.kind === "keep-edits"
        ? " (differs from what init writes; --force replaces it)"
        : s.kind === "update"
          ? ` (adds ${GITIGNORE_ENTRY})`
          : "";
    return `${words[s.kind].padEnd(width)}  ${s.path}${note}`;
  });
  if (!planWrites(steps)) {
    const kept = steps.filter((s) => s.kind === "keep-edits").length;
    lines.push(
      kept === 0
        ? `nothing to do: all ${steps.length} files are already as init writes them`
        : `nothing written: ${kept} edited file${kept === 1 ? "" : "s"} kept`,
    );
  }
  if (options.dataSources.length === 0) {
    lines.push(
      "note: data.source is empty; list your training data there (or rerun with --data PATH --target COLUMN).",
    );
  }
  if (options.action === ACTION_PLACEHOLDER) {
    lines.push(
      `note: the workflows use ${ACTION_PLACEHOLDER}; rerun with --action OWNER/REPO@REF naming the Modelship Action you use.`,
    );
  }
  return `${lines.join("\n")}\n`;
}
