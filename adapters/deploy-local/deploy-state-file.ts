import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelshipError } from "../../core/errors.ts";
import { DeployStateSchema, emptyDeployState } from "../../core/rollout/deploy-state.ts";
import type { DeployState } from "../../core/rollout/deploy-state.ts";

export const DEFAULT_STATE_DIR = ".modelship/deploy";

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `<stateDir>/<env>.json`; refuses environment names that could escape the directory. */
export function deployStatePath(stateDir: string, env: string): string {
  assertEnvName(env);
  return join(stateDir, `${env}.json`);
}

/** `<stateDir>/<env>.admin.json`: the admin address and token of the running router (mode 0600). */
export function adminFilePath(stateDir: string, env: string): string {
  assertEnvName(env);
  return join(stateDir, `${env}.admin.json`);
}

/** `<stateDir>/<env>.drift.json`: the latest `modelship drift --env` verdict on the environment's traffic. */
export function driftReportPath(stateDir: string, env: string): string {
  assertEnvName(env);
  return join(stateDir, `${env}.drift.json`);
}

/** Reads an environment's state; a missing file is an empty state. */
export async function readDeployState(stateDir: string, env: string, now: Date): Promise<DeployState> {
  const path = deployStatePath(stateDir, env);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyDeployState(env, now);
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelshipError({
      code: "deploy-state-invalid",
      message: `${path} is not valid JSON: ${(err as Error).message}`,
      where: { file: path },
      hint: "Delete the file to start the environment from scratch (deploy history is lost).",
    });
  }
  const parsed = DeployStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelshipError({
      code: "deploy-state-invalid",
      message: `${path} does not match the deploy state format: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`,
      where: { file: path },
      hint: "Delete the file to start the environment from scratch (deploy history is lost).",
    });
  }
  return parsed.data;
}

let tmpCounter = 0;

/** Writes a file so readers see either the old or the new content, never half of it. */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const dir = join(path, "..");
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    // `wx`: the file is new, so it is created with `mode` (a leftover file would keep its own).
    await writeFile(tmp, text, { mode, flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeDeployState(stateDir: string, state: DeployState): Promise<void> {
  await writeFileAtomic(deployStatePath(stateDir, state.environment), `${JSON.stringify(state, null, 2)}\n`);
}

function assertEnvName(env: string): void {
  if (!ENV_NAME.test(env)) {
    throw new ModelshipError({
      code: "environment-invalid",
      message: `environment name ${JSON.stringify(env)} is not allowed`,
      hint: "Use letters, digits, '.', '_' or '-' (at most 63 characters), e.g. production.",
    });
  }
}
