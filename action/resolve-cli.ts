import { spawn } from "node:child_process";
import { access, realpath } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ModelshipError } from "../core/errors.ts";
import { findActionPath, installCheckoutRuntime } from "./install-checkout-runtime.ts";
import { forEachLine, type LogOut } from "./log-group.ts";

/** How to start the `modelship` CLI: Node (the runner's, which runs this Action) and the entry file. */
export type CliCommand = {
  node: string;
  entry: string;
  source: "env" | "workspace" | "checkout";
};

/**
 * Finds the CLI that carries the native runtime (onnxruntime-node, TensorFlow.js), in order:
 * MODELSHIP_CLI, the workspace's node_modules/.bin/modelship, else the Action's own checkout with
 * its dependencies installed once per lockfile in the tool cache. Never a package from a registry
 * by name. Logs which one it uses.
 */
export async function resolveModelshipCli(opts: {
  env: NodeJS.ProcessEnv;
  workspace: string;
  toolCacheDir: string;
  log: (line: string) => void;
  /** The Action's checkout; default: found from where this code runs. */
  actionPath?: string;
  out?: LogOut;
}): Promise<CliCommand> {
  const node = process.execPath;
  const fromEnv = opts.env["MODELSHIP_CLI"];
  if (fromEnv) {
    const entry = resolve(opts.workspace, fromEnv);
    if (!(await exists(entry))) {
      throw new ModelshipError({
        code: "runtime-unavailable",
        message: `MODELSHIP_CLI points at ${entry}, which does not exist`,
        hint: "Point MODELSHIP_CLI at the modelship package's bin/modelship.js, or unset it.",
      });
    }
    opts.log(`modelship: CLI from MODELSHIP_CLI: ${entry}`);
    return { node, entry, source: "env" };
  }
  const inWorkspace = join(opts.workspace, "node_modules", ".bin", "modelship");
  if (await exists(inWorkspace)) {
    const entry = await realpath(inWorkspace);
    opts.log(`modelship: CLI from the workspace: ${entry}`);
    return { node, entry, source: "workspace" };
  }
  return { node, entry: await checkoutCli(opts), source: "checkout" };
}

/** The CLI of the Action's own checkout, its dependencies installed or reused first. */
async function checkoutCli(opts: Parameters<typeof resolveModelshipCli>[0]): Promise<string> {
  const actionPath = opts.actionPath ?? (await findActionPath());
  if (actionPath === undefined) {
    throw new ModelshipError({
      code: "runtime-unavailable",
      message: "the Action's own checkout (action.yml and package-lock.json above dist/) was not found",
      hint: "Use the Action as `uses: owner/modelship@<ref>` or from a checkout of its repository, or set MODELSHIP_CLI.",
    });
  }
  const started = performance.now();
  const runtime = await installCheckoutRuntime({
    actionPath,
    toolCacheDir: opts.toolCacheDir,
    env: withoutCredentials(opts.env),
    ...(opts.out ? { out: opts.out } : {}),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const from = {
    checkout: `its own ${runtime.dependencies}`,
    "tool-cache": `the tool cache, reused: ${runtime.dependencies}`,
    installed: `the tool cache, installed now in ${seconds} s: ${runtime.dependencies}`,
  }[runtime.how];
  opts.log(
    `modelship: CLI from the Action's checkout ${runtime.entry}; dependencies (package-lock.json sha256 ${runtime.lockHash.slice(0, 12)}) from ${from}`,
  );
  return runtime.entry;
}

/**
 * Runs the CLI with arguments; each stderr line (the trainer's progress, a training program's
 * output, errors) goes to `stderrLine` as it arrives; stdout is returned.
 */
export function runModelshipCli(
  cli: CliCommand,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; stderrLine: (line: string) => void },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cli.node, [cli.entry, ...args], {
      cwd: opts.cwd,
      env: withoutCredentials(opts.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    const streamed = forEachLine(child.stderr, (line) => {
      opts.stderrLine(line);
      stderr = `${stderr}${line}\n`.slice(-64 * 1024);
    });
    child.on("error", fail);
    child.on("close", (code) => void streamed.then(() => done({ code, stdout, stderr })));
  });
}

/**
 * The CLI runs user code (`train.command`, the model under test), so it never sees the Action's
 * inputs (`INPUT_GITHUB-TOKEN`) or the runner's own tokens, nor the runner's file commands, through
 * which it could set this step's outputs or the environment of later steps.
 */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("INPUT_") || CREDENTIAL_VARIABLES.has(k) || FILE_COMMANDS.has(k)) continue;
    out[k] = v;
  }
  return out;
}

const CREDENTIAL_VARIABLES = new Set([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
]);

const FILE_COMMANDS = new Set([
  "GITHUB_OUTPUT",
  "GITHUB_ENV",
  "GITHUB_PATH",
  "GITHUB_STATE",
  "GITHUB_STEP_SUMMARY",
]);

/** The `[code]` that ends the last problem the CLI printed (`error: ... [code]`), if any. */
export function cliErrorCode(stderr: string): string | undefined {
  const matches = [...stderr.matchAll(/ \[([a-z0-9]+(?:-[a-z0-9]+)*)\]$/gm)];
  return matches.at(-1)?.[1];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
