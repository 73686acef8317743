import { ModelshipError } from "../../core/errors.ts";
import { JITCONFIG_REASONS, type JitConfig } from "./generate-jitconfig.ts";

export type GpuCheck = { ok: true; gpus: string[] } | { ok: false; reason: string };

export type JobExit = { exitCode: number | null; signal: string | null };

/** What the loop needs from the world; main.ts wires the real ones, tests hand in their own. */
export type RunnerLoopDeps = {
  register: (name: string) => Promise<JitConfig>;
  /** Starts `run.sh` with the configuration and resolves when the runner exits. */
  runJob: (config: JitConfig) => Promise<JobExit>;
  /** Removes a registration whose runner never started. */
  unregister: (config: JitConfig) => Promise<void>;
  checkGpu?: () => Promise<GpuCheck>;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
  /** A fresh runner name for attempt `n` (names must be unique among the scope's runners). */
  runnerName: (n: number) => string;
  stopped: () => boolean;
};

export type RunnerLoopOptions = { maxJobs?: number; backoffMs?: { initial: number; max: number } };

export type RunnerLoopResult = { jobs: number; failedJobs: number; stoppedBy: "signal" | "max-jobs" };

/**
 * Registers one just-in-time runner, runs its single job, and starts over until stopped:
 * each job gets a clean runner. A failing GPU check or registration backs off (doubling up to
 * a cap) instead of registering a runner that would take a job it cannot run.
 */
export async function runEphemeralRunners(
  deps: RunnerLoopDeps,
  options: RunnerLoopOptions = {},
): Promise<RunnerLoopResult> {
  const backoff = options.backoffMs ?? { initial: 5_000, max: 300_000 };
  let delay = backoff.initial;
  let jobs = 0;
  let failedJobs = 0;
  let attempt = 0;
  const wait = async (why: string) => {
    deps.log(`${why}; retrying in ${Math.round(delay / 1000)} s`);
    await deps.sleep(delay);
    delay = Math.min(backoff.max, delay * 2);
  };

  while (!deps.stopped()) {
    if (options.maxJobs !== undefined && jobs >= options.maxJobs)
      return { jobs, failedJobs, stoppedBy: "max-jobs" };
    if (deps.checkGpu) {
      const gpu = await deps.checkGpu();
      if (!gpu.ok) {
        await wait(`GPU check failed (${gpu.reason}); not registering`);
        continue;
      }
    }
    attempt += 1;
    let config: JitConfig;
    try {
      config = await deps.register(deps.runnerName(attempt));
    } catch (err) {
      const code = err instanceof ModelshipError ? err.code : "";
      if (code in JITCONFIG_REASONS && JITCONFIG_REASONS[code as keyof typeof JITCONFIG_REASONS].permanent)
        throw err;
      await wait(`registration failed: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    deps.log(`registered runner ${config.name} (id ${config.runnerId}); waiting for a job`);
    let exit: JobExit;
    try {
      exit = await deps.runJob(config);
    } catch (err) {
      await deps.unregister(config).catch(() => undefined);
      await wait(`runner ${config.name} did not start: ${(err as Error).message}`);
      continue;
    }
    jobs += 1;
    if (deps.stopped()) {
      // Stopped while waiting for (or during) a job: leave no registration behind.
      await deps.unregister(config).catch(() => undefined);
      break;
    }
    if (exit.exitCode === 0) {
      delay = backoff.initial;
      deps.log(`runner ${config.name} finished its job`);
    } else {
      failedJobs += 1;
      await wait(`runner ${config.name} exited with ${exit.exitCode ?? exit.signal}`);
    }
  }
  return { jobs, failedJobs, stoppedBy: "signal" };
}
