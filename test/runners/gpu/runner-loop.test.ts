import { describe, expect, it } from "vitest";
import { ModelshipError } from "../../../core/errors.ts";
import type { JitConfig } from "../../../runners/gpu/generate-jitconfig.ts";
import {
  runEphemeralRunners,
  type GpuCheck,
  type JobExit,
  type RunnerLoopDeps,
} from "../../../runners/gpu/runner-loop.ts";

type Script = {
  gpu?: GpuCheck[];
  register?: (Error | "ok")[];
  jobs?: (JobExit | Error)[];
  stopAfterJobs?: number;
};

function harness(script: Script) {
  const events: string[] = [];
  const sleeps: number[] = [];
  let jobs = 0;
  let stopped = false;
  const gpu = [...(script.gpu ?? [])];
  const register = [...(script.register ?? [])];
  const jobExits = [...(script.jobs ?? [])];
  const deps: RunnerLoopDeps = {
    checkGpu: async () => gpu.shift() ?? { ok: true, gpus: ["GPU 0"] },
    register: async (name) => {
      const next = register.shift() ?? "ok";
      if (next instanceof Error) {
        events.push(`register-failed ${name}`);
        throw next;
      }
      events.push(`register ${name}`);
      return { runnerId: events.length, name, encodedJitConfig: `cfg-${name}` } satisfies JitConfig;
    },
    runJob: async (config) => {
      const next = jobExits.shift() ?? { exitCode: 0, signal: null };
      if (next instanceof Error) throw next;
      events.push(`run ${config.encodedJitConfig}`);
      jobs += 1;
      if (script.stopAfterJobs !== undefined && jobs >= script.stopAfterJobs) stopped = true;
      return next;
    },
    unregister: async (config) => {
      events.push(`unregister ${config.name}`);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: () => undefined,
    runnerName: (n) => `gpu-${n}`,
    stopped: () => stopped,
  };
  return { deps, events, sleeps };
}

const backoffMs = { initial: 1000, max: 4000 };

describe("runEphemeralRunners", () => {
  it("registers a fresh runner for every job", async () => {
    const h = harness({});
    const r = await runEphemeralRunners(h.deps, { maxJobs: 3, backoffMs });
    expect(r).toEqual({ jobs: 3, failedJobs: 0, stoppedBy: "max-jobs" });
    expect(h.events).toEqual([
      "register gpu-1",
      "run cfg-gpu-1",
      "register gpu-2",
      "run cfg-gpu-2",
      "register gpu-3",
      "run cfg-gpu-3",
    ]);
    expect(h.sleeps).toEqual([]);
  });

  it("does not register while the GPU check fails, backing off up to the cap", async () => {
    const bad: GpuCheck = { ok: false, reason: "nvidia-smi: not found" };
    const h = harness({ gpu: [bad, bad, bad, bad] });
    await runEphemeralRunners(h.deps, { maxJobs: 1, backoffMs });
    expect(h.sleeps).toEqual([1000, 2000, 4000, 4000]);
    expect(h.events).toEqual(["register gpu-1", "run cfg-gpu-1"]);
  });

  it("retries a transient registration failure with a new name", async () => {
    const taken = new ModelshipError({ code: "jitconfig-name-taken", message: "name in use" });
    const h = harness({ register: [taken, new Error("socket hang up")] });
    await runEphemeralRunners(h.deps, { maxJobs: 1, backoffMs });
    expect(h.events).toEqual([
      "register-failed gpu-1",
      "register-failed gpu-2",
      "register gpu-3",
      "run cfg-gpu-3",
    ]);
    expect(h.sleeps).toEqual([1000, 2000]);
  });

  it.each(["jitconfig-unauthorized", "jitconfig-not-found", "jitconfig-rejected"])(
    "stops on %s",
    async (code) => {
      const h = harness({ register: [new ModelshipError({ code, message: "no" })] });
      await expect(runEphemeralRunners(h.deps, { maxJobs: 1, backoffMs })).rejects.toMatchObject({ code });
      expect(h.sleeps).toEqual([]);
    },
  );

  it("removes a registration whose runner could not start", async () => {
    const h = harness({ jobs: [new Error("spawn EACCES")] });
    await runEphemeralRunners(h.deps, { maxJobs: 1, backoffMs });
    expect(h.events).toEqual(["register gpu-1", "unregister gpu-1", "register gpu-2", "run cfg-gpu-2"]);
  });

  it("counts a failed job, backs off, and resets the backoff after a good one", async () => {
    const h = harness({
      jobs: [
        { exitCode: 1, signal: null },
        { exitCode: 0, signal: null },
        { exitCode: 1, signal: null },
      ],
    });
    const r = await runEphemeralRunners(h.deps, { maxJobs: 3, backoffMs });
    expect(r).toMatchObject({ jobs: 3, failedJobs: 2 });
    expect(h.sleeps).toEqual([1000, 1000]);
  });

  it("stops when signalled and leaves no registration behind", async () => {
    const h = harness({ stopAfterJobs: 1, jobs: [{ exitCode: null, signal: "SIGTERM" }] });
    const r = await runEphemeralRunners(h.deps, { backoffMs });
    expect(r).toEqual({ jobs: 1, failedJobs: 0, stoppedBy: "signal" });
    expect(h.events).toEqual(["register gpu-1", "run cfg-gpu-1", "unregister gpu-1"]);
  });
});
