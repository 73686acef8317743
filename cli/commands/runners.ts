import type { Command } from "commander";
import { Octokit } from "@octokit/rest";
import { DEFAULT_CONFIG_PATH, loadConfig } from "../../adapters/config/load-config.ts";
import { checkRunnerLabels, type RunnerInfo } from "../../adapters/github/runners.ts";
import { ModelshipError } from "../../core/errors.ts";

type CheckFlags = { config: string; repo?: string; labels?: string; json?: boolean };

const describeRunner = (r: RunnerInfo) =>
  `${r.name} (${r.scope}${r.busy ? ", busy" : ""}: ${r.labels.join(", ")})`;

/** `modelship runners check`: is an online self-hosted runner there to take the training job? */
export function register(program: Command): void {
  const runners = program.command("runners").description("Self-hosted runners for training.");
  runners
    .command("check")
    .description(
      "Tell whether an online self-hosted runner carries every training label (exit 1 when none does, so a job would wait in the queue).",
    )
    .option("-c, --config <path>", "config file (labels from train.runner.labels)", DEFAULT_CONFIG_PATH)
    .option("--repo <owner/name>", "repository (default: $GITHUB_REPOSITORY)")
    .option("--labels <labels>", "comma-separated labels instead of the config's")
    .option("--json", "print the result as JSON")
    .action(async (flags: CheckFlags) => {
      const repo = flags.repo ?? process.env["GITHUB_REPOSITORY"];
      const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(repo ?? "");
      if (!m) {
        throw new ModelshipError({
          code: "runners-no-repo",
          message: repo
            ? `--repo must be OWNER/REPO (got ${JSON.stringify(repo)})`
            : "no repository to check",
          hint: "Pass --repo OWNER/REPO or set GITHUB_REPOSITORY.",
        });
      }
      const token = process.env["GITHUB_TOKEN"] || process.env["GH_TOKEN"];
      if (!token) {
        throw new ModelshipError({
          code: "runners-no-token",
          message: "GITHUB_TOKEN (or GH_TOKEN) is not set",
          hint: "Listing runners needs a token with Administration: read on the repository (organisation runners: Self-hosted runners: read).",
        });
      }
      const labels = flags.labels
        ? flags.labels
            .split(",")
            .map((l) => l.trim())
            .filter((l) => l !== "")
        : (await loadConfig(flags.config)).train.runner.labels;
      const octokit = new Octokit({
        auth: token,
        baseUrl: process.env["GITHUB_API_URL"] ?? "https://api.github.com",
        log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      });
      const result = await checkRunnerLabels(octokit, { owner: m[1]!, repo: m[2]!, labels });
      if (flags.json) process.stdout.write(`${JSON.stringify({ labels, ...result }, null, 2)}\n`);
      const wanted = labels.join(", ");
      if (result.status === "available") {
        if (!flags.json) {
          process.stdout.write(
            `online runners with ${wanted}:\n${result.runners.map((r) => `  ${describeRunner(r)}`).join("\n")}\n`,
          );
        }
        return;
      }
      if (result.status === "unknown") {
        if (!flags.json)
          process.stdout.write(`cannot tell whether a runner with ${wanted} is online: ${result.reason}\n`);
        return;
      }
      if (!flags.json) {
        const offline = result.offline.map((r) => `  offline: ${describeRunner(r)}`).join("\n");
        process.stdout.write(
          `no online runner carries ${wanted}: a training job would wait in the queue.\n${offline ? `${offline}\n` : ""}`,
        );
      }
      process.exitCode = 1;
    });
}
