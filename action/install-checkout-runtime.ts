import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  access,
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ModelshipError } from "../core/errors.ts";
import { forEachLine, inLogGroup, type LogOut } from "./log-group.ts";

/** The CLI in the Action's own checkout, and where its dependencies came from. */
export type CheckoutRuntime = {
  entry: string;
  /** The node_modules the CLI loads (the checkout's own, or one in the tool cache). */
  dependencies: string;
  how: "checkout" | "tool-cache" | "installed";
  /** sha256 of the checkout's package-lock.json: the tool cache key. */
  lockHash: string;
};

/**
 * The Action's checkout (`github.action_path`): the nearest folder above this code that holds
 * action.yml and package-lock.json — above dist/ in the bundle, above action/ in the sources.
 */
export async function findActionPath(
  from: string = fileURLToPath(import.meta.url),
): Promise<string | undefined> {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    if ((await exists(join(dir, "action.yml"))) && (await exists(join(dir, "package-lock.json")))) return dir;
  }
  return undefined;
}

/**
 * Makes the checkout's CLI runnable: its production dependencies are installed once per lockfile
 * with `npm ci` into RUNNER_TOOL_CACHE/modelship/<sha256 of package-lock.json>, and the checkout's
 * node_modules links there. A checkout that already has a node_modules folder keeps it.
 */
export async function installCheckoutRuntime(o: {
  actionPath: string;
  toolCacheDir: string;
  env: NodeJS.ProcessEnv;
  out?: LogOut;
}): Promise<CheckoutRuntime> {
  const entry = join(o.actionPath, "bin", "modelship.js");
  const lockfile = join(o.actionPath, "package-lock.json");
  if (!(await exists(entry)) || !(await exists(lockfile))) {
    throw new ModelshipError({
      code: "runtime-unavailable",
      message: `the Action's checkout ${o.actionPath} has no bin/modelship.js or package-lock.json`,
      hint: "Use the Action from a full checkout of its repository (`uses: owner/modelship@<ref>`), or set MODELSHIP_CLI.",
    });
  }
  const lockHash = createHash("sha256")
    .update(await readFile(lockfile))
    .digest("hex");
  const own = join(o.actionPath, "node_modules");
  const ownStat = await lstat(own).catch(() => undefined);
  if (ownStat?.isDirectory()) return { entry, dependencies: own, how: "checkout", lockHash };
  const cacheDir = join(o.toolCacheDir, "modelship", lockHash);
  const dependencies = join(cacheDir, "node_modules");
  let how: CheckoutRuntime["how"] = "tool-cache";
  if (!(await exists(join(dependencies, ".package-lock.json")))) {
    await installInto(cacheDir, o);
    how = "installed";
  }
  await pointLinkAt(own, dependencies);
  return { entry, dependencies, how, lockHash };
}

/**
 * `npm ci` into a fresh folder beside `cacheDir`, renamed into place only when complete: a job
 * never sees a half-installed cache, and of two jobs installing at once the first rename wins.
 */
async function installInto(
  cacheDir: string,
  o: { actionPath: string; env: NodeJS.ProcessEnv; out?: LogOut },
): Promise<void> {
  await mkdir(dirname(cacheDir), { recursive: true });
  const staging = await mkdtemp(`${cacheDir}.partial-`);
  try {
    for (const f of ["package.json", "package-lock.json"])
      await copyFile(join(o.actionPath, f), join(staging, f));
    const code = await inLogGroup(
      "modelship: installing the native runtime (npm ci)",
      (line) => runNpmCi(staging, o.env, line),
      o.out,
    );
    if (code !== 0) {
      throw new ModelshipError({
        code: "runtime-unavailable",
        message: `npm ci for the Action's runtime exited with ${code ?? "a signal"}`,
        hint: "The npm log is in the group above. Check that the runner reaches the npm registry, or set MODELSHIP_CLI.",
      });
    }
    await rename(staging, cacheDir).catch(async (err: NodeJS.ErrnoException) => {
      const lost = err.code === "ENOTEMPTY" || err.code === "EEXIST" || err.code === "EPERM";
      if (!lost || !(await exists(join(cacheDir, "node_modules", ".package-lock.json")))) throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

// Install scripts stay off: onnxruntime-node ships its CPU binaries and its script would download
// CUDA ones. Optional packages stay in, for resvg's per-platform binary (the PNG plots); the
// optional tfjs-node packages then arrive without the libtensorflow their script would download,
// fail to load, and the built-in trainer runs on TensorFlow.js's WebAssembly backend.
const NPM_CI = ["ci", "--omit=dev", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"];

async function runNpmCi(
  cwd: string,
  env: NodeJS.ProcessEnv,
  line: (text: string) => void,
): Promise<number | null> {
  const [command, ...prefix] = await npmCommand();
  const child = spawn(command!, [...prefix, ...NPM_CI], {
    cwd,
    env: { ...env, npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    shell: command === "npm" && process.platform === "win32",
  });
  const closed = new Promise<number | null>((done) => {
    child.on("error", (err) => {
      line(`could not start npm: ${err.message}`);
      done(null);
    });
    child.on("close", done);
  });
  await Promise.all([forEachLine(child.stdout, line), forEachLine(child.stderr, line)]);
  return closed;
}

/** The npm that came with the Node running this Action (the runner's), else the one on PATH. */
async function npmCommand(): Promise<string[]> {
  const bin = dirname(process.execPath);
  for (const cli of [
    join(bin, "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
    join(bin, "node_modules", "npm", "bin", "npm-cli.js"),
  ]) {
    if (await exists(cli)) return [process.execPath, cli];
  }
  return ["npm"];
}

/** Points `link` at `target`, replacing an older link in one rename. */
async function pointLinkAt(link: string, target: string): Promise<void> {
  if ((await readlink(link).catch(() => undefined)) === target) return;
  const temp = `${link}.${randomBytes(6).toString("hex")}`;
  await symlink(target, temp, "junction");
  await rename(temp, link).catch(async (err: unknown) => {
    await rm(temp, { force: true });
    throw err;
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
