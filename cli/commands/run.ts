import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type * as TrainRunModule from "../../runners/train/train-run.ts";
import { loadConfig } from "../../adapters/config/load-config.ts";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import { parseParamOverrides } from "../../core/data/parse-param-overrides.ts";
import { renderComparisonMarkdown } from "../../core/report/render-markdown.ts";
import { runReportExtras } from "../shared/run-report-extras.ts";
import { renderComparisonText } from "../../core/report/render-text.ts";
import type { RolloutResult } from "../../adapters/deploy-local/deployment-control.ts";
import {
  assertLocalTarget,
  describeRollout,
  openDeployment,
  runDeploy,
  serveUntilSignal,
} from "../shared/deployment.ts";
import { prepareExampleWorkspace } from "../shared/example-workspace.ts";
import { DEFAULT_CONFIG_PATH } from "../../adapters/config/load-config.ts";
import { releaseCandidate } from "../shared/release-candidate.ts";
import { loadModelCheck } from "../shared/load-model-check.ts";
import { inferExample } from "../shared/infer-example.ts";
import { toComparisonJson } from "../../core/report/render-json.ts";
import { parsePort } from "../shared/options.ts";
import { info, isQuiet, notice } from "../shared/output.ts";

type RunOptions = {
  config: string;
  repo: string;
  example?: string;
  workspace?: string;
  set: string[];
  runId?: string;
  port?: string;
  serve: boolean;
  progress: boolean;
  json?: boolean;
};

const say = info;

/** `modelship run`: the whole loop on one machine — train, compare, register, deploy, serve. */
export function register(program: Command): void {
  program
    .command("run")
    .description("Train, compare with production, register, blue-green deploy, then keep serving.")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG_PATH)
    .option("--repo <dir>", "repository holding the config, data and registry", ".")
    .option("--example <name>", "run a bundled example (penguins) in its own workspace")
    .option("--workspace <dir>", "where --example lays out its repository", ".modelship/example")
    .option(
      "--set <key=value>",
      "override train.params (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option("--run-id <id>", "name of the run directory")
    .option("-p, --port <n>", "public port of the router (default: deploy.port)")
    .option("--no-serve", "exit after the deploy instead of serving (a router already running keeps serving)")
    .option("--no-progress", "no per-epoch progress")
    .option("--json", "print one JSON document (run, comparison, release, rollout) instead of the report")
    .action(async (opts: RunOptions) => {
      const repoDir = opts.example
        ? await prepareExampleWorkspace(opts.example, opts.workspace ?? ".modelship/example")
        : resolve(opts.repo);
      const config = await loadConfig(join(repoDir, opts.config), { required: true });
      // `run` serves what it deploys on this machine: refuse before training, not after.
      assertLocalTarget(config, "run");
      const env = config.deploy.environment;
      const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
      const port = parsePort(opts.port, config.deploy.port);

      say(`▶ 1/4 train ${config.model.name} (${repoDir})`);
      const { runDir, record } = await (
        await loadTrainer()
      ).trainRun({
        config,
        repoDir,
        configFile: join(repoDir, opts.config),
        configLabel: opts.config,
        runsDir: join(repoDir, ".modelship", "runs"),
        ...(opts.runId ? { runId: opts.runId } : {}),
        params: parseParamOverrides(opts.set),
        progress: opts.progress && !isQuiet() ? "auto" : "silent",
        log: notice,
      });
      say(
        `  run ${record.runId} on ${record.backend} in ${(record.durationMs / 1000).toFixed(1)} s → ${runDir}`,
      );

      say(`▶ 2/4 compare with ${env}`);
      const out = await releaseCandidate({
        config,
        registry,
        repoDir,
        runDir,
        now: new Date(),
        checkModel: await loadModelCheck(),
      });
      const markdown = renderComparisonMarkdown(out.comparison, {
        modelName: config.model.name,
        ...(await runReportExtras(runDir)),
        ...(out.candidate.validation ? { validation: out.candidate.validation } : {}),
        data: {
          candidate: out.candidate.record.data,
          ...(out.baseline ? { baseline: out.baseline.run.record.data } : {}),
        },
      });
      await writeFile(join(runDir, "report.md"), markdown);
      const report = (rollout: RolloutResult | null) =>
        process.stdout.write(
          `${JSON.stringify(
            {
              runDir,
              record,
              comparison: toComparisonJson(out.comparison, { modelName: config.model.name }),
              plan: out.plan,
              registered: out.registered,
              rollout,
            },
            null,
            2,
          )}\n`,
        );
      if (!opts.json) {
        process.stdout.write(
          `${renderComparisonText(out.comparison, { modelName: config.model.name }).trimEnd()}\n`,
        );
      }
      if (!out.registered) {
        if (opts.json) report(null);
        process.stderr.write(
          `✘ not released: a gate failed (${out.comparison.failed.map((f) => `${f.name}: ${f.reason}`).join(", ")})\n`,
        );
        process.exitCode = 1;
        return;
      }

      const version = out.registered.version;
      say(
        `▶ 3/4 register: ${version.name} v${version.version} (${out.registered.outcome}, ${out.plan.reason}, tag ${version.tag})`,
      );

      say(`▶ 4/4 deploy v${version.version} to ${env} (blue-green)`);
      const opened = await openDeployment({ config, repoDir, env, port, startIfMissing: true, log: say });
      const { result: deployed } = await runDeploy({
        config,
        repoDir,
        env,
        kind: "deploy",
        ref: version.version,
        registry,
        openRouter: async () => opened,
        log: say,
      });
      const result = deployed.rollout;
      if (opts.json) report(result);
      else process.stderr.write(describeRollout(result, deployed.aliasError));
      if (result.outcome !== "succeeded") process.exitCode = 1;

      if (!opened.owned) {
        say(`${env} is served by the router already running at ${opened.url}`);
        return;
      }
      const live = (await opened.control.status()).active;
      if (!opts.serve || !live) return void (await opened.owned.close());
      say(
        `\nServing ${live.name} v${live.version} on ${opened.url} — try:\n\n${await inferExample(opened.url, live.name, runDir)}\n`,
      );
      say("Train again with other params in another terminal to see a comparison and a switch, e.g.");
      say(`  npm start -- --set learningRate=0.02\nCtrl-C stops the server.`);
      await serveUntilSignal(opened.owned, say);
    });
}

/** TensorFlow.js loads only when a command trains, so every other command starts fast. */
function loadTrainer(): Promise<typeof TrainRunModule> {
  return import("../../runners/train/train-run.ts");
}
