import type { Command } from "commander";
import { loadCommonConfig, parsePort, withCommonOptions, type CommonOptions } from "../shared/options.ts";

type UiOptions = CommonOptions & { port?: string; host: string; env?: string; runsDir: string };

/** `modelship ui`: the dashboard over runs, versions and the live deployment. */
export function register(program: Command): void {
  withCommonOptions(
    program
      .command("ui")
      .description(
        "Serve the dashboard: runs, registered versions, the live deployment and its traffic. Read-only unless the router's admin token is given on the page.",
      ),
  )
    .option("-p, --port <port>", "port to listen on (0: any free port)", "8765")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("-e, --env <name>", "environment to show (default: deploy.environment)")
    .option("--runs-dir <dir>", "run directories, relative to --repo", ".modelship/runs")
    .action(async (opts: UiOptions) => {
      const { config, repoDir } = await loadCommonConfig(opts);
      const { startUi } = await import("../../ui/start-ui.ts");
      const server = await startUi({
        repoDir,
        config,
        env: opts.env ?? config.deploy.environment,
        port: parsePort(opts.port, 8765),
        host: opts.host,
        runsDir: opts.runsDir,
      });
      // The address is the one thing this command prints on stdout, also with --quiet.
      process.stdout.write(`dashboard on ${server.url}\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
