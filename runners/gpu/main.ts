// Ephemeral GPU runner: registers a just-in-time runner, runs one job, and starts over.
// Run with Node 24 on the GPU machine (see runners/gpu/modelship-runner.service and Dockerfile):
//   node runners/gpu/main.ts --repo OWNER/REPO --runner-dir /opt/actions-runner
import { spawn, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { access } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatProblem, ModelshipError } from "../../core/errors.ts";
import { appInstallationToken } from "./app-token.ts";
import { deleteRunner, generateJitConfig, type RunnerScope } from "./generate-jitconfig.ts";
import type { GitHubHttp } from "./github-http.ts";
import { runEphemeralRunners, type GpuCheck, type JobExit } from "./runner-loop.ts";

/** Variables holding credentials: never handed to the job, which runs untrusted code. */
const SECRET_VARIABLES = [
  "MODELSHIP_RUNNER_TOKEN",
  "GITHUB_TOKEN",
  "GITHUB_APP_PRIVATE_KEY",
  "GITHUB_APP_PRIVATE_KEY_FILE",
];

const USAGE = `usage: node runners/gpu/main.ts (--repo OWNER/REPO | --org ORG) [options]
  --labels a,b,c          runner labels (default self-hosted,linux,x64,gpu)
  --runner-group-id N     runner group (default 1, the default group)
  --runner-dir DIR        where the GitHub Actions runner is unpacked (default /opt/actions-runner)
  --work-folder DIR       job working folder, relative to the runner dir (default _work)
  --name-prefix TEXT      runner names are PREFIX-<random> (default: host name)
  --max-jobs N            stop after N jobs (default: run until SIGTERM)
  --no-gpu-check          register even when nvidia-smi finds no GPU
credentials: MODELSHIP_RUNNER_TOKEN (or GITHUB_TOKEN), or a GitHub App with GITHUB_APP_ID,
GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE).
GITHUB_API_URL points at GitHub Enterprise Server (default https://api.github.com).`;

function fail(message: string, hint?: string): never {
  throw new ModelshipError({ code: "runner-usage", message, ...(hint ? { hint } : {}) });
}

function parseScope(repo: string | undefined, org: string | undefined): RunnerScope {
  if (repo !== undefined && org === undefined) {
    const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(repo);
    if (!m) fail(`--repo must be OWNER/REPO (got ${JSON.stringify(repo)})`);
    return { owner: m[1]!, repo: m[2]! };
  }
  if (org !== undefined && repo === undefined) return { org };
  return fail("give exactly one of --repo OWNER/REPO or --org ORG", USAGE);
}

function tokenSource(
  http: Pick<GitHubHttp, "apiUrl" | "fetch">,
  env: NodeJS.ProcessEnv,
): () => Promise<string> {
  const token = env["MODELSHIP_RUNNER_TOKEN"] ?? env["GITHUB_TOKEN"];
  if (token) return async () => token;
  const appId = env["GITHUB_APP_ID"];
  const installationId = Number(env["GITHUB_APP_INSTALLATION_ID"]);
  const keyFile = env["GITHUB_APP_PRIVATE_KEY_FILE"];
  const key = env["GITHUB_APP_PRIVATE_KEY"] ?? (keyFile ? readFileSync(keyFile, "utf8") : undefined);
  if (appId && Number.isInteger(installationId) && installationId > 0 && key) {
    return appInstallationToken({ http, appId, privateKeyPem: key, installationId, now: () => new Date() });
  }
  return fail("no credentials", USAGE);
}

function checkGpu(): Promise<GpuCheck> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", ["-L"], { timeout: 30_000 }, (err, stdout) => {
      const gpus = stdout.split("\n").filter((l) => l.startsWith("GPU "));
      if (err) resolve({ ok: false, reason: `nvidia-smi: ${err.message.split("\n")[0]}` });
      else if (gpus.length === 0) resolve({ ok: false, reason: "nvidia-smi lists no GPU" });
      else resolve({ ok: true, gpus });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repo: { type: "string" },
      org: { type: "string" },
      labels: { type: "string", default: "self-hosted,linux,x64,gpu" },
      "runner-group-id": { type: "string", default: "1" },
      "runner-dir": { type: "string", default: "/opt/actions-runner" },
      "work-folder": { type: "string", default: "_work" },
      "name-prefix": { type: "string", default: hostname() },
      "max-jobs": { type: "string" },
      "no-gpu-check": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const scope = parseScope(values.repo, values.org);
  const labels = values.labels
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (labels.length === 0 || labels.length > 100) fail("--labels needs 1 to 100 labels");
  const runnerGroupId = Number(values["runner-group-id"]);
  if (!Number.isInteger(runnerGroupId) || runnerGroupId < 1)
    fail("--runner-group-id must be a positive integer");
  const maxJobs = values["max-jobs"] === undefined ? undefined : Number(values["max-jobs"]);
  if (maxJobs !== undefined && (!Number.isInteger(maxJobs) || maxJobs < 1))
    fail("--max-jobs must be a positive integer");
  const runnerDir = values["runner-dir"];
  const runSh = join(runnerDir, "run.sh");
  await access(runSh).catch(() =>
    fail(`${runSh} not found`, "Unpack the GitHub Actions runner there, or pass --runner-dir."),
  );
  const prefix = values["name-prefix"].replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 40);
  const log = (line: string) =>
    process.stderr.write(`${new Date().toISOString()} modelship-runner: ${line}\n`);
  if (!labels.includes("gpu"))
    log("warning: the labels do not include gpu; Modelship's training workflow asks for it by default");

  const apiUrl = process.env["GITHUB_API_URL"] ?? "https://api.github.com";
  const base = { apiUrl, fetch: globalThis.fetch };
  const http: GitHubHttp = { ...base, token: tokenSource(base, process.env) };
  const jobEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SECRET_VARIABLES) delete jobEnv[name];

  let stopping = false;
  let child: ReturnType<typeof spawn> | undefined;
  let wake: (() => void) | undefined;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      stopping = true;
      log(`${signal}: stopping after the current job`);
      // The runner cancels its job cleanly on SIGTERM/SIGINT and deregisters.
      child?.kill(signal);
      wake?.();
    });
  }

  const result = await runEphemeralRunners(
    {
      register: (name) =>
        generateJitConfig(http, { scope, name, runnerGroupId, labels, workFolder: values["work-folder"] }),
      unregister: (config) => deleteRunner(http, scope, config.runnerId),
      runJob: (config) =>
        new Promise<JobExit>((resolve, reject) => {
          // ACTIONS_RUNNER_INPUT_JITCONFIG is run.sh's --jitconfig, kept off the command line
          // (command lines are readable by every user of the machine).
          child = spawn(runSh, [], {
            cwd: runnerDir,
            env: { ...jobEnv, ACTIONS_RUNNER_INPUT_JITCONFIG: config.encodedJitConfig },
            stdio: ["ignore", "inherit", "inherit"],
          });
          child.once("error", reject);
          child.once("exit", (exitCode, signal) => {
            child = undefined;
            resolve({ exitCode, signal });
          });
        }),
      ...(values["no-gpu-check"] ? {} : { checkGpu }),
      sleep: (ms) =>
        new Promise<void>((r) => {
          const timer = setTimeout(r, ms);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        }),
      log,
      runnerName: () => `${prefix}-${randomBytes(4).toString("hex")}`,
      stopped: () => stopping,
    },
    maxJobs !== undefined ? { maxJobs } : {},
  );
  log(`done: ${result.jobs} job(s), ${result.failedJobs} failed (${result.stoppedBy})`);
}

try {
  await main();
} catch (err) {
  if (err instanceof ModelshipError) {
    for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
