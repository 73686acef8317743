import type { Config } from "../../core/config/schema.ts";

/** What a sweep worker trains: one trial, as one normal run directory. */
export type TrialJob = {
  config: Config;
  repoDir: string;
  runsDir: string;
  runId: string;
  /** Nested as train.params is (dotted search names already expanded). */
  params: Record<string, unknown>;
  checkpointDir: string;
};

export type ToWorker = { type: "start"; job: TrialJob } | { type: "decision"; epoch: number; stop: boolean };

export type FromWorker =
  | { type: "epoch"; epoch: number; logs: Record<string, number> }
  | {
      type: "done";
      runDir: string;
      metrics: Record<string, number>;
      epochs: number;
      prunedAtEpoch: number | null;
      history: Record<string, number>[];
    }
  | { type: "failed"; code: string; message: string };
