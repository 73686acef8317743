import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stopCli } from "./stop-cli.ts";

export const BIN = fileURLToPath(new URL("../../bin/modelship.js", import.meta.url));

/**
 * Node's compile cache for the CLI processes the tests start and what they start (router slots,
 * trials): a start reuses the code the last one compiled, a third less CPU each. Entries are keyed
 * by each file's contents, so an edited source is compiled afresh. NODE_COMPILE_CACHE overrides it.
 */
const COMPILE_CACHE =
  process.env["NODE_COMPILE_CACHE"] ??
  fileURLToPath(new URL("../../node_modules/.cache/modelship-cli-tests/", import.meta.url));

export type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs the real `modelship` executable as a user would, with Node 24 (this process's node). Past
 * `timeoutMs` it is stopped with what it started (`stopCli`) and resolves with what it printed.
 */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = { cwd: process.cwd() },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE, NO_COLOR: "1", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => stopCli(child, 5_000).catch(reject), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts a CLI command that serves until killed (`up`, `ui`) in `cwd`; resolves with the child and
 * the address it prints (the first capture of `pattern`), or rejects when it exits first or does
 * not print it in `timeoutMs` (then it is stopped). Stop the child with `stopCli`.
 */
export function serveCli(
  args: readonly string[],
  opts: { cwd: string; pattern: RegExp; timeoutMs?: number },
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${args[0]} did not start:\n${out}`));
      stopCli(child, 5_000).catch(reject);
    }, opts.timeoutMs ?? 60_000);
    const read = (d: Buffer) => {
      out += d.toString();
      const m = opts.pattern.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("exit", (code) => reject(new Error(`${args[0]} exited ${code}:\n${out}`)));
  });
}
