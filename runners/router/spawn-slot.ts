import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Colour, RolloutTarget } from "../../core/rollout/rollout-types.ts";
import type { SlotChannel } from "./connection-handoff.ts";
import { HANDOFF_ENV } from "./handoff-messages.ts";

/** The inference server every slot runs. */
// The sources run as .ts; the published package runs the compiled .js next to this file's own copy.
const EXT = import.meta.url.endsWith(".ts") ? "ts" : "js";
export const DEFAULT_SERVER_ENTRY = fileURLToPath(new URL(`../serve/main.${EXT}`, import.meta.url));

export type SlotProcess = {
  colour: Colour;
  target: RolloutTarget;
  url: string;
  pid: number | null;
  /** The process's IPC channel: the router hands it connections in the steady state. */
  channel: SlotChannel | null;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Last lines the process wrote to stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
};

export type SpawnSlotOptions = {
  colour: Colour;
  target: RolloutTarget;
  serverEntry?: string;
  extraArgs?: readonly string[];
  /** Give up when no `listening` line arrives within this time. */
  startTimeoutMs: number;
  /** Append the slot's stdout and stderr here. */
  logFile?: string;
  signal?: AbortSignal;
};

/** Starts one inference server on an ephemeral loopback port and waits for its `listening` line. */
export async function spawnSlot(opts: SpawnSlotOptions): Promise<SlotProcess> {
  const args = [
    opts.serverEntry ?? DEFAULT_SERVER_ENTRY,
    "--model",
    opts.target.modelDir,
    "--name",
    opts.target.name,
    "--model-version",
    opts.target.version,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...(opts.extraArgs ?? []),
  ];
  // The IPC channel carries handed connections, their counts and release orders (connection-handoff.ts).
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, [HANDOFF_ENV]: "1" },
  });
  // A closed channel (the slot died) must not take the router down.
  child.on("error", () => undefined);
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : null;
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
    log?.write(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  void exited.then(() => log?.end());

  const url = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    let done = false;
    const settle = (err: Error | null, value?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(value ?? "");
    };
    const timer = setTimeout(
      () =>
        settle(
          new SlotStartError("timeout", `did not print its listening line within ${opts.startTimeoutMs} ms`),
        ),
      opts.startTimeoutMs,
    );
    const onAbort = () => settle(new SlotStartError("aborted", "start aborted"));
    opts.signal?.addEventListener("abort", onAbort);
    child.stdout?.on("data", (chunk: Buffer) => {
      log?.write(chunk);
      if (done) return;
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        const listening = parseListening(line);
        if (listening) settle(null, listening);
      }
    });
    void exited.then(({ code, signal }) =>
      settle(
        new SlotStartError(
          "exited",
          `exited before listening (${signal ?? `code ${code}`})${tail.trim() ? `: ${lastLines(tail)}` : ""}`,
        ),
      ),
    );
    child.once("error", (err) => settle(new SlotStartError("exited", err.message)));
  }).catch(async (err: unknown) => {
    await kill(child, exited, 2_000);
    throw err;
  });

  return {
    colour: opts.colour,
    target: opts.target,
    url,
    pid: child.pid ?? null,
    channel: child,
    exited,
    stderrTail: () => lastLines(tail),
    stop: (graceMs = 10_000) => kill(child, exited, graceMs),
  };
}

/** Why a slot never reached `listening`. */
export class SlotStartError extends Error {
  readonly kind: "timeout" | "exited" | "aborted";
  constructor(kind: "timeout" | "exited" | "aborted", message: string) {
    super(message);
    this.name = "SlotStartError";
    this.kind = kind;
  }
}

function parseListening(line: string): string | null {
  if (!line.startsWith("{")) return null;
  try {
    const v = JSON.parse(line) as { event?: unknown; url?: unknown };
    return v.event === "listening" && typeof v.url === "string" ? v.url : null;
  } catch {
    return null;
  }
}

async function kill(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function lastLines(text: string, n = 5): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}
