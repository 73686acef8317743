import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../core/config/schema.ts";
import { ModelshipError } from "../../core/errors.ts";
import { parseParamOverrides } from "../../core/data/parse-param-overrides.ts";
import { RUN_FILES } from "../../core/run/run-record.ts";
import { pruneTrial, setEpochValue } from "../../core/sweep/prune-trial.ts";
import { openStudy, type StudySettings } from "../../core/sweep/open-study.ts";
import { recordTrialResult } from "../../core/sweep/record-trial-result.ts";
import { planStudyTrials } from "../../core/sweep/plan-study-trials.ts";
import type { Study, StudyTrial } from "../../core/sweep/study.ts";
import { lockStudy, readStudy, studyPaths, writeStudy } from "../../adapters/studies/study-store.ts";
import type { TrialJob } from "./sweep-messages.ts";
import { spawnTrialWorker, type TrialOutcome, type TrialWorker } from "./spawn-trial-worker.ts";

export type RunStudyOptions = StudySettings & {
  config: Config;
  repoDir: string;
  runsDir: string;
  studiesDir: string;
  name: string;
  /** The study ends with this many trials in all (those of earlier runs of it included). */
  trials: number;
  parallel: number;
  now?: () => Date;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** How a trial runs; default: in its own worker process. */
  runTrial?: TrialRunner;
};

/** Starts one trial; `onEpoch` answers whether the pruner stops it after that epoch. */
export type TrialRunner = (opts: {
  job: TrialJob;
  logFile: string;
  onEpoch: (epoch: number, logs: Record<string, number>) => Promise<boolean>;
}) => Promise<TrialWorker>;

export type RunStudyResult = { study: Study; ended: "done" | "grid-exhausted" | "interrupted" };

/**
 * Runs a study: proposes trials with its sampler, trains each in a worker process (as a normal run
 * directory), feeds every epoch's validation value to its pruner, and keeps the study file up to
 * date after each event. Started again after a crash, it re-runs the trials that were running
 * (from their last checkpoint) and goes on.
 */
export async function runStudy(opts: RunStudyOptions): Promise<RunStudyResult> {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? (() => undefined);
  const paths = studyPaths(opts.studiesDir, opts.name);
  await mkdir(paths.dir, { recursive: true });
  const unlock = await lockStudy(paths.lock, now);
  try {
    const opened = openStudy({
      name: opts.name,
      config: opts.config,
      stored: await readStudy(paths.study),
      settings: opts,
    });
    if (!opened.ok)
      throw new ModelshipError({ code: opened.reason, message: opened.message, hint: opened.hint });
    const study = opened.study;
    let saving = Promise.resolve();
    const persist = () => (saving = saving.then(() => writeStudy(paths.study, structuredClone(study))));
    await persist();
    const requeue = study.trials.filter((t) => t.state === "running");
    if (requeue.length > 0)
      log(`resuming study ${study.name}: ${requeue.length} interrupted trial(s) start again`);
    const active = new Map<number, { worker?: TrialWorker; settled: Promise<void> }>();
    let gridExhausted = false;
    const interrupted = () => opts.signal?.aborted === true;

    const start = async (trial: StudyTrial) => {
      trial.state = "running";
      trial.attempts++;
      await persist();
      log(`trial ${trial.number} started: ${JSON.stringify(trial.params)}`);
      const earlier = await readFinishedRun(join(opts.runsDir, trial.runId), trial);
      if (earlier) {
        finish(study, trial, earlier, log);
        const settled = persist();
        active.set(trial.number, { settled });
        return;
      }
      const worker = await (opts.runTrial ?? spawnTrialWorker)({
        job: {
          config: opts.config,
          repoDir: opts.repoDir,
          runsDir: opts.runsDir,
          runId: trial.runId,
          params: nestParams(trial.params),
          checkpointDir: paths.checkpoint(trial.number),
        },
        logFile: paths.log(trial.number),
        onEpoch: async (epoch, logs) => {
          recordEpoch(study, trial, epoch, logs);
          const decision = pruneTrial(study, trial);
          await persist();
          if (decision.prune) log(`trial ${trial.number} pruned at epoch ${epoch}: ${decision.detail}`);
          return decision.prune;
        },
      });
      if (interrupted()) worker.kill();
      // A trial stopped because the study was interrupted stays running: resuming restarts it.
      const settled = worker.outcome
        .then((o) => (interrupted() ? undefined : finish(study, trial, o, log)))
        .then(persist);
      active.set(trial.number, { worker, settled });
    };

    const next = (): StudyTrial | undefined => {
      const again = requeue.shift();
      if (again) return again;
      if (study.trials.length >= opts.trials || gridExhausted) return undefined;
      const plan = planStudyTrials(study, 1);
      if (!plan.ok) throw new ModelshipError({ code: `sweep-${plan.reason}`, message: plan.message });
      if (plan.exhausted) gridExhausted = true;
      const trial = plan.planned[0];
      if (trial) trial.attempts = 0;
      return trial;
    };

    opts.signal?.addEventListener("abort", () => active.forEach((a) => a.worker?.kill()), { once: true });
    for (;;) {
      while (active.size < opts.parallel && !interrupted()) {
        const trial = next();
        if (!trial) break;
        await start(trial);
      }
      if (active.size === 0) break;
      await Promise.race([...active.entries()].map(([n, a]) => a.settled.then(() => n))).then((n) =>
        active.delete(n),
      );
    }
    await saving;
    return { study, ended: interrupted() ? "interrupted" : gridExhausted ? "grid-exhausted" : "done" };
  } finally {
    await unlock();
  }
}

function recordEpoch(study: Study, trial: StudyTrial, epoch: number, logs: Record<string, number>): void {
  setEpochValue(trial.intermediate, epoch, logs[study.objective.intermediate.metric]);
  trial.epochs = epoch;
}

function finish(study: Study, trial: StudyTrial, outcome: TrialOutcome, log: (line: string) => void): void {
  recordTrialResult(
    study,
    trial,
    outcome.type === "done"
      ? { kind: "finished", ...outcome }
      : outcome.type === "failed"
        ? { kind: "failed", code: outcome.code, message: outcome.message }
        : {
            kind: "failed",
            code: "worker-exited",
            message: `the trial's process ended (${outcome.signal ?? `exit ${outcome.code}`}) without a result: ${outcome.tail.trim().split("\n").slice(-3).join(" | ")}`,
          },
  );
  if (trial.state === "failed")
    log(`trial ${trial.number} failed: ${trial.failure?.message} [${trial.failure?.code}]`);
  else if (trial.state === "complete")
    log(
      `trial ${trial.number} complete: ${study.objective.metric} ${trial.value} after ${trial.epochs} epochs`,
    );
}

/**
 * A run directory the trial already wrote before the study was interrupted, read as the worker
 * would have reported it; undefined when there is none. One with other params is an error.
 */
async function readFinishedRun(runDir: string, trial: StudyTrial): Promise<TrialOutcome | undefined> {
  let record: {
    params?: Record<string, unknown>;
    metrics?: Record<string, number>;
    training?: { epochs?: number; prunedAtEpoch?: number };
  };
  try {
    record = JSON.parse(await readFile(join(runDir, RUN_FILES.record), "utf8")) as typeof record;
  } catch {
    return undefined;
  }
  const mismatch = Object.entries(trial.params).find(([k, v]) => getPath(record.params ?? {}, k) !== v);
  if (mismatch) {
    return {
      type: "failed",
      code: "run-exists",
      message: `${runDir} exists with other params (${mismatch[0]}); it was not written by this trial`,
    };
  }
  const history = await readFile(join(runDir, RUN_FILES.history), "utf8")
    .then((t) => (JSON.parse(t) as { epochs?: Record<string, number>[] }).epochs ?? [])
    .catch(() => []);
  return {
    type: "done",
    runDir,
    metrics: record.metrics ?? {},
    epochs: record.training?.epochs ?? history.length,
    prunedAtEpoch: record.training?.prunedAtEpoch ?? null,
    history,
  };
}

function getPath(obj: Record<string, unknown>, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );
}

/** Dotted search names (`earlyStopping.patience`) as the nested params training takes. */
function nestParams(params: Record<string, unknown>): Record<string, unknown> {
  return parseParamOverrides(Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`));
}
