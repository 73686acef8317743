import type { TrialRunner } from "./run-study.ts";
import { trainTrial } from "./train-trial.ts";

/**
 * Runs a trial inside this process, one at a time, without per-epoch checkpoints: for
 * benchmarks and small studies where a worker process per trial costs more than the training.
 * An interrupted trial starts again from epoch 1.
 */
export const runTrialInProcess: TrialRunner = async ({ job, onEpoch }) => {
  const outcome = trainTrial(job, {
    checkpoints: false,
    log: () => undefined,
    shouldStop: ({ epoch, ...logs }) => onEpoch(epoch, logs),
  });
  return { outcome, kill: () => undefined };
};
