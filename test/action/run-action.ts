import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DIST_ENTRY = join(REPO_ROOT, "dist", "index.js");
export const CLI_ENTRY = join(REPO_ROOT, "bin", "modelship.js");

export type ActionRun = {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error ...::message` workflow commands, parsed. */
  errors: { props: Record<string, string>; message: string }[];
  /** Each stdout line with the milliseconds since the start at which it arrived. */
  lines: { atMs: number; text: string }[];
  durationMs: number;
};

export type RunActionOptions = {
  workspace: string;
  inputs: Record<string, string>;
  /** Event name and payload written to GITHUB_EVENT_PATH. */
  event?: { name: string; payload: unknown };
  apiUrl?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The Action's checkout (`github.action_path`) whose dist/index.js runs; default: this repository. */
  actionPath?: string;
};

/**
 * Runs `node dist/index.js` the way the runner does: cwd = workspace, INPUT_<NAME> with hyphens
 * kept, GITHUB_* context, RUNNER_TEMP and the five file-command files; then reads them back.
 */
export async function runAction(opts: RunActionOptions): Promise<ActionRun> {
  const runner = await mkdtemp(join(tmpdir(), "modelship-runner-"));
  const temp = join(runner, "temp");
  await mkdir(temp, { recursive: true });
  const files = {
    GITHUB_OUTPUT: join(runner, "output"),
    GITHUB_ENV: join(runner, "env"),
    GITHUB_PATH: join(runner, "path"),
    GITHUB_STATE: join(runner, "state"),
    GITHUB_STEP_SUMMARY: join(runner, "summary"),
  };
  for (const f of Object.values(files)) await writeFile(f, "");
  const eventPath = join(runner, "event.json");
  await writeFile(eventPath, JSON.stringify(opts.event?.payload ?? {}));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"] ?? "",
    HOME: process.env["HOME"] ?? runner,
    // The host's way out to the npm registry (a runner has its own): its CA bundle and proxies.
    ...Object.fromEntries(
      [
        "NODE_EXTRA_CA_CERTS",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        "https_proxy",
        "http_proxy",
        "no_proxy",
      ]
        .filter((k) => process.env[k] !== undefined)
        .map((k) => [k, process.env[k]]),
    ),
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_EVENT_NAME: opts.event?.name ?? "workflow_dispatch",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: "Codertocat/Hello-World",
    GITHUB_REPOSITORY_OWNER: "Codertocat",
    GITHUB_SHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
    GITHUB_REF: "refs/heads/main",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: opts.apiUrl ?? "http://127.0.0.1:9",
    GITHUB_GRAPHQL_URL: `${opts.apiUrl ?? "http://127.0.0.1:9"}/graphql`,
    GITHUB_RUN_ID: "7011",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_RUN_NUMBER: "12",
    GITHUB_ACTOR: "Codertocat",
    GITHUB_JOB: "modelship",
    GITHUB_ACTION: "__owner_modelship",
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: join(runner, "tool-cache"),
    ...files,
    ...Object.fromEntries(Object.entries(opts.inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...opts.env,
  };
  const started = performance.now();
  const lines: ActionRun["lines"] = [];
  const entry = opts.actionPath ? join(opts.actionPath, "dist", "index.js") : DIST_ENTRY;
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [entry], {
        cwd: opts.workspace,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        const atMs = performance.now() - started;
        const complete = (stdout.slice(stdout.lastIndexOf("\n") + 1) + d.toString()).split("\n").slice(0, -1);
        for (const text of complete) lines.push({ atMs, text });
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    },
  );
  const durationMs = performance.now() - started;
  return {
    ...result,
    outputs: parseFileCommands(await readFile(files.GITHUB_OUTPUT, "utf8")),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, "utf8"),
    errors: parseErrorCommands(result.stdout),
    lines,
    durationMs,
  };
}

/** Parses `name<<DELIM\nvalue\nDELIM` entries (and plain `name=value` lines) of a file command. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      out[name!] = value.join("\n");
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

function unescapeData(s: string): string {
  return s
    .replaceAll("%0D", "\r")
    .replaceAll("%0A", "\n")
    .replaceAll("%3A", ":")
    .replaceAll("%2C", ",")
    .replaceAll("%25", "%");
}

function parseErrorCommands(stdout: string): ActionRun["errors"] {
  return [...stdout.matchAll(/^::error(?: ([^:]*))?::(.*)$/gm)].map((m) => ({
    props: Object.fromEntries(
      (m[1] ?? "")
        .split(",")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), unescapeData(kv.slice(kv.indexOf("=") + 1))]),
    ),
    message: unescapeData(m[2] ?? ""),
  }));
}
