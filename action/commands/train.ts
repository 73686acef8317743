import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { validateCommand as validateCommandArguments } from "../../core/commands/validate-command.ts";
import { ModelshipError } from "../../core/errors.ts";
import { PruningCurvesSchema, type TrialPruning } from "../../core/sweep/matrix-pruning.ts";
import { escapeMarkdown } from "../../core/report/escape-markdown.ts";
import { formatNumber } from "../../core/report/format-number.ts";
import { loadActionConfig, type CommandContext } from "../command-context.ts";
import { inLogGroup } from "../log-group.ts";
import { metricsJson } from "../metrics-json.ts";
import { workspaceRelative, type ActionOutcome } from "../outcome.ts";
import { cliErrorCode, resolveModelshipCli, runModelshipCli } from "../resolve-cli.ts";

export const DEFAULT_RUNS_DIR = ".modelship/runs";

const TrainJsonSchema = z.object({
  runDir: z.string(),
  record: z.object({
    runId: z.string(),
    trainer: z.enum(["builtin", "command"]),
    backend: z.string(),
    metrics: z.record(z.string(), z.number()),
    durationMs: z.number(),
    training: z.object({ prunedAtEpoch: z.number().optional() }).optional(),
  }),
});

/**
 * `train`: runs the trainer through the `modelship` CLI (which carries the native runtime), with
 * parameters checked against train.search and a checkpoint directory the workflow caches.
 */
export async function trainCommand(ctx: CommandContext): Promise<ActionOutcome> {
  const config = await loadActionConfig(ctx, { required: true });
  const params = checkParams(ctx.inputs.params ?? {}, config);
  const runsDir = resolve(ctx.action.workspace, ctx.inputs["run-dir"] ?? DEFAULT_RUNS_DIR);
  const checkpointDir = resolve(ctx.action.workspace, ctx.inputs["checkpoint-dir"]);
  await mkdir(checkpointDir, { recursive: true });
  const checkpointsAtStart = await countFiles(checkpointDir);
  const runId = runIdFor(ctx);
  const pruning = trialPruning(ctx);
  const pruneFile = join(ctx.action.tempDir, `modelship-pruning-${runId}.json`);
  if (pruning) {
    await mkdir(ctx.action.tempDir, { recursive: true });
    await writeFile(pruneFile, JSON.stringify(pruning.curves));
  }
  const cli = await resolveModelshipCli({
    env: ctx.env,
    workspace: ctx.action.workspace,
    toolCacheDir: ctx.env["RUNNER_TOOL_CACHE"] ?? join(ctx.action.tempDir, "tool-cache"),
    log: ctx.log,
  });
  ctx.log(`modelship: training with ${cli.entry} (${cli.source}), run ${runId}`);
  const args = [
    "train",
    "--config",
    resolve(ctx.action.workspace, ctx.inputs.config),
    "--runs-dir",
    runsDir,
    "--run-id",
    runId,
    "--json",
    ...(pruning ? ["--prune-with", pruneFile, "--trial-number", String(pruning.trial)] : []),
    ...Object.entries(params).flatMap(([k, v]) => ["--set", `${k}=${JSON.stringify(v)}`]),
  ];
  // The trainer's epoch lines and a train.command's output stream live into the job log.
  const result = await inLogGroup(`modelship: training run ${runId}`, (line) =>
    runModelshipCli(cli, args, {
      cwd: ctx.action.workspace,
      env: { ...ctx.env, MODELSHIP_CHECKPOINT_DIR: checkpointDir },
      stderrLine: line,
    }),
  );
  const checkpointNote = renderCheckpointNote({
    dir: workspaceRelative(checkpointDir, ctx.action.workspace),
    filesAtStart: checkpointsAtStart,
    command: config.train.command !== undefined,
  });
  if (result.code !== 0) {
    const code = cliErrorCode(result.stderr) ?? "train-failed";
    const lines = result.stderr
      .split("\n")
      .filter((l) => l.startsWith("error: "))
      .map((l) => l.slice(7));
    const message = lines.join("; ") || `modelship train exited with ${result.code ?? "a signal"}`;
    return {
      decision: "error",
      reasonCode: code,
      message,
      outputs: {},
      summary: `## Modelship · train\n\n**⚠️ Training failed** (\`${code}\`)\n\n\`\`\`text\n${result.stderr.slice(-4000).replaceAll("```", "ʼʼʼ")}\n\`\`\`\n\n${checkpointNote}\n`,
      annotations: [{ title: `Modelship train: ${code}`, message }],
    };
  }
  const parsed = TrainJsonSchema.safeParse(JSON.parse(result.stdout));
  if (!parsed.success) {
    throw new ModelshipError({
      code: "runtime-output-invalid",
      message: `modelship train printed JSON this Action does not understand: ${parsed.error.issues[0]?.message ?? ""}`,
      hint: "The modelship CLI and the Action must be the same version; set MODELSHIP_CLI or pin both.",
    });
  }
  const { runDir, record } = parsed.data;
  const shownDir = workspaceRelative(runDir, ctx.action.workspace);
  const rows = Object.entries(record.metrics).map(
    ([k, v]) => `| ${escapeMarkdown(k)} | ${formatNumber(v)} |`,
  );
  return {
    decision: "pass",
    reasonCode: "trained",
    message: `run ${record.runId} written to ${shownDir}`,
    outputs: { "run-dir": shownDir, metrics: metricsJson(record.metrics) },
    summary: [
      "## Modelship · train",
      "",
      `**✅ Trained** run \`${escapeMarkdown(record.runId)}\` (${record.trainer} trainer, ${escapeMarkdown(record.backend)}) in ${(record.durationMs / 1000).toFixed(1)} s → \`${escapeMarkdown(shownDir)}\``,
      "",
      ...prunedNote(record.training?.prunedAtEpoch, pruning),
      "| Metric | Value |",
      "|---|---:|",
      ...rows,
      "",
      checkpointNote,
      "",
    ].join("\n"),
    annotations: [],
  };
}

/** The summary's line about a trial its study's pruner stopped (none when it trained to the end). */
function prunedNote(epoch: number | undefined, pruning: TrialPruning | undefined): string[] {
  if (epoch === undefined || pruning === undefined) return [];
  const { pruner, trials } = pruning.curves;
  return [
    `**✂️ Pruned** at epoch ${epoch} by the study's ${pruner} pruner, against ${trials.length} finished trial(s); sweep-tell records it as pruned.`,
    "",
  ];
}

/** The `pruning` input (sweep-plan's curves) with the `trial-number` it prunes; undefined without it. */
function trialPruning(ctx: CommandContext): TrialPruning | undefined {
  const text = ctx.inputs.pruning;
  if (text === undefined) return undefined;
  const fail = (message: string, hint: string) =>
    new ModelshipError({ code: "input-invalid", message: `input 'pruning': ${message}`, hint });
  const HINT = "Pass sweep-plan's `pruning` output unchanged: `pruning: ${{ needs.plan.outputs.pruning }}`.";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON (${(err as Error).message})`, HINT);
  }
  const parsed = PruningCurvesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(
      `not sweep-plan's curves: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? ""}`,
      HINT,
    );
  }
  const trial = ctx.inputs["trial-number"];
  if (trial === undefined) {
    throw fail(
      "needs `trial-number`, the number of the trial it prunes",
      "Set `trial-number: ${{ matrix.trial.number }}`.",
    );
  }
  return { curves: parsed.data, trial };
}

/** Parameters from the `params` input, each declared under train.search and within its bounds. */
function checkParams(raw: Record<string, unknown>, config: Parameters<typeof validateCommandArguments>[1]) {
  const named: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean") {
      throw new ModelshipError({
        code: "input-invalid",
        message: `input 'params': '${key}' must be a number, string or boolean`,
        hint: 'Pass flat values, e.g. {"learningRate": 0.005, "epochs": 30}.',
      });
    }
    named.push([key, String(value)]);
  }
  const checked = validateCommandArguments({ name: "train", positional: [], named }, config);
  if (!checked.ok) {
    throw new ModelshipError({
      code: checked.reason,
      message: `input 'params': ${checked.message}`,
      hint: "Declare tunable parameters and their bounds under train.search in the config.",
    });
  }
  return checked.command.name === "train" ? checked.command.params : {};
}

/**
 * The `run-id` input; else the dispatch's correlation id when it is a usable directory name; else
 * one per workflow run attempt (shared by the jobs of a matrix, which therefore pass `run-id`).
 */
function runIdFor(ctx: CommandContext): string {
  if (ctx.inputs["run-id"] !== undefined) return ctx.inputs["run-id"];
  const correlation = ctx.action.dispatchInputs["correlation_id"];
  if (typeof correlation === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(correlation))
    return correlation;
  const runId = ctx.env["GITHUB_RUN_ID"];
  if (runId && /^\d+$/.test(runId)) return `gh-${runId}-${ctx.env["GITHUB_RUN_ATTEMPT"] ?? "1"}`;
  return `run-${ctx.now().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "")}`;
}

function renderCheckpointNote(o: { dir: string; filesAtStart: number; command: boolean }): string {
  const found =
    o.filesAtStart > 0
      ? `${o.filesAtStart} checkpoint file${o.filesAtStart === 1 ? " was" : "s were"} there when the run started`
      : "it was empty when the run started";
  return o.command
    ? `Checkpoints: \`${escapeMarkdown(o.dir)}\` is handed to \`train.command\` as \`MODELSHIP_CHECKPOINT_DIR\`; ${found}. Resuming from it is up to the training program.`
    : `Checkpoints: \`${escapeMarkdown(o.dir)}\` (${found}). The built-in trainer writes a checkpoint there after every epoch and resumes from it when it belongs to the same training (data, preprocessing, params and architecture); the run log says from which epoch it resumed.`;
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}
