import { Option, type Command } from "commander";
import { openGitRegistry } from "../../adapters/registry-git/git-registry.ts";
import type { BumpSetting } from "../../core/pipeline/plan-release.ts";
import { renderComparisonText } from "../../core/report/render-text.ts";
import { loadModelCheck } from "../shared/load-model-check.ts";
import { releaseCandidate } from "../shared/release-candidate.ts";
import { emit, loadCommonConfig, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type RegisterOptions = CommonOptions & {
  version?: string;
  bump?: BumpSetting;
  baseline?: string;
  alias?: string[];
  allowFailedGates?: boolean;
  json?: boolean;
};

/** `modelship register RUN_DIR`: gate against production, then store the run as the next version. */
export function register(program: Command): void {
  withCommonOptions(
    program
      .command("register")
      .description("Register a run as a new immutable model version (after its gates pass).")
      .argument("<run-dir>", "run directory to register")
      .option("--version <semver>", "exact version (must be greater than every existing one)")
      .addOption(
        new Option("--bump <bump>", "version bump (default: registry.bump from the config)").choices([
          "auto",
          "major",
          "minor",
          "patch",
        ]),
      )
      .option("-b, --baseline <ref>", "what to compare with (default: production, then latest)")
      .option("--alias <name...>", "point these aliases (e.g. staging) at the new version")
      .option("--allow-failed-gates", "register even when a gate fails (recorded in the output)")
      .option("--json", "print the result as JSON"),
  ).action(async (runDir: string, opts: RegisterOptions) => {
    const { config, repoDir } = await loadCommonConfig(opts);
    const registry = await openGitRegistry({ repoDir, tagFormat: config.registry.tagFormat });
    const now = new Date();
    const out = await releaseCandidate({
      config,
      registry,
      repoDir,
      runDir,
      now,
      ...(opts.baseline ? { baselineRef: opts.baseline } : {}),
      ...(opts.bump ? { bump: opts.bump } : {}),
      ...(opts.version ? { exactVersion: opts.version } : {}),
      ...(opts.allowFailedGates ? { allowFailedGates: true } : {}),
      checkModel: await loadModelCheck(),
    });
    if (!out.registered) {
      emit(opts.json, { outcome: "refused", reason: out.plan.reason, failed: out.comparison.failed }, () =>
        [
          renderComparisonText(out.comparison, { modelName: config.model.name }).trimEnd(),
          "",
          "not registered: a gate failed (pass --allow-failed-gates to register anyway)",
          "",
        ].join("\n"),
      );
      process.exitCode = 1;
      return;
    }
    const version = out.registered.version;
    for (const alias of opts.alias ?? []) {
      await registry.setAlias(version.name, alias, version.version, {
        now,
        reason: `register ${version.runId}`,
      });
    }
    emit(opts.json, { outcome: out.registered.outcome, reason: out.plan.reason, version }, () =>
      out.registered?.outcome === "already-registered"
        ? `${version.name} v${version.version} already holds run ${version.runId} (tag ${version.tag}); nothing changed\n`
        : `registered ${version.name} v${version.version} (tag ${version.tag}, ${out.plan.reason})\n`,
    );
  });
}
