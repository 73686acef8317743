import { spawn } from "node:child_process";
import { access, realpath } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ModelshipError } from "../core/errors.ts";

/** How to start the `modelship` CLI: Node (the runner's, which runs this Action) and the entry file. */
export type CliCommand = {
  node: string;
  entry: string;
  source: "env" | "workspace" | "tool-cache" | "installed";
};

// Replaced by the package version when scripts/build-action.mjs bundles the Action.
declare const __MODELSHIP_VERSION__: string | undefined;

/** The package version this Action was built from; `npm install` fetches the same one. */
export const ACTION_VERSION: string =
  typeof __MODELSHIP_VERSION__ === "string" ? __MODELSHIP_VERSION__ : "latest";

/**
 * Finds the CLI that carries the native runtime (onnxruntime-node, TensorFlow.js), in order:
 * MODELSHIP_CLI, the workspace's node_modules/.bin/modelship, the tool cache, else installs
 * `modelship@<action version>` into the tool cache with npm.
 */
export async function resolveModelshipCli(opts: {
  env: NodeJS.ProcessEnv;
  workspace: string;
  toolCacheDir: string;
  log: (line: string) => void;
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
    return { node, entry, source: "env" };
  }
  const inWorkspace = join(opts.workspace, "node_modules", ".bin", "modelship");
  if (await exists(inWorkspace)) return { node, entry: await realpath(inWorkspace), source: "workspace" };
  const toolDir = join(opts.toolCacheDir, "modelship", ACTION_VERSION);
  const cached = join(toolDir, "node_modules", "modelship", "bin", "modelship.js");
  if (await exists(cached)) return { node, entry: cached, source: "tool-cache" };
  opts.log(`modelship: installing modelship@${ACTION_VERSION} (native runtime) into ${toolDir}`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const code = await new Promise<number | null>((done) => {
    const child = spawn(
      npm,
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", toolDir, `modelship@${ACTION_VERSION}`],
      {
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...opts.env, npm_config_onnxruntime_node_install: "skip" },
      },
    );
    child.on("error", () => done(null));
    child.on("close", done);
  });
  if (code !== 0 || !(await exists(cached))) {
    throw new ModelshipError({
      code: "runtime-unavailable",
      message: `could not install modelship@${ACTION_VERSION} with npm (exit ${code ?? "spawn failed"})`,
      hint: "Add modelship to the repository's devDependencies and run `npm ci` before this step, or set MODELSHIP_CLI.",
    });
  }
  return { node, entry: cached, source: "installed" };
}

/** Runs the CLI with arguments; stderr streams to the log, stdout is returned. */
export function runModelshipCli(
  cli: CliCommand,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
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
    child.stderr.on("data", (d: Buffer) => {
      process.stderr.write(d);
      stderr = (stderr + d.toString("utf8")).slice(-64 * 1024);
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/**
 * The CLI runs user code (`train.command`, the model under test), so it never sees the Action's
 * inputs (`INPUT_GITHUB-TOKEN`) or the runner's own tokens.
 */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("INPUT_") || CREDENTIAL_VARIABLES.has(k)) continue;
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
