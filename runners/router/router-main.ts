/**
 * Blue-green router process for one environment, used by `modelship up` and `modelship run`.
 *
 *   node runners/router/router-main.ts [--config .github/modelship.yml] [--env NAME] [--port N]
 *        [--host H] [--state-dir .modelship/deploy] [--restore] [--server-entry PATH]
 *
 * The first line on stdout, once the router listens, is
 * `{"event":"listening","url":...,"port":...,"adminUrl":...,"environment":...}`. Other processes
 * drive it with `connectLocalDeployment`. SIGTERM or SIGINT stops both slots, then exits 0.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../adapters/config/load-config.ts";
import { DEFAULT_STATE_DIR } from "../../adapters/deploy-local/deploy-state-file.ts";
import { startLocalDeployment } from "./start-local-deployment.ts";
import type { LocalDeployment } from "./start-local-deployment.ts";
import { formatProblem, ModelshipError } from "../../core/errors.ts";
import { predictionLogArgs } from "../../core/config/prediction-log-args.ts";

function log(line: string): void {
  process.stderr.write(`[modelship router] ${line}\n`);
}

/** Starts the router from command-line arguments and stops it on SIGTERM/SIGINT. */
export async function routeUntilSignal(argv: string[]): Promise<LocalDeployment> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      env: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "state-dir": { type: "string" },
      restore: { type: "boolean", default: false },
      "server-entry": { type: "string" },
    },
    strict: true,
  });
  const config = await loadConfig(values.config, { required: values.config !== undefined });
  const port = values.port === undefined ? config.deploy.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ModelshipError({
      code: "option-invalid",
      message: `--port must be an integer from 0 to 65535, got '${values.port}'`,
    });
  }
  const env = values.env ?? config.deploy.environment;
  const deployment = await startLocalDeployment({
    env,
    port,
    stateDir: values["state-dir"] ?? DEFAULT_STATE_DIR,
    config: config.deploy,
    batching: config.serve.batching,
    serverArgs: predictionLogArgs(config.monitoring),
    restore: values.restore,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values["server-entry"] === undefined ? {} : { serverEntry: values["server-entry"] }),
    onTransition: (id, e) =>
      log(
        `${id} ${e.event}: ${e.from} -> ${e.to}${e.accepted ? "" : " (ignored)"}${e.note ? ` — ${e.note}` : ""}`,
      ),
  });
  const address = new URL(deployment.url);
  process.stdout.write(
    `${JSON.stringify({ event: "listening", url: deployment.url, port: Number(address.port), adminUrl: deployment.adminUrl, environment: env })}\n`,
  );
  log(`${env}: serving on ${deployment.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping slots`);
    deployment.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return deployment;
}

if (import.meta.main) {
  try {
    await routeUntilSignal(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ModelshipError)
      for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
