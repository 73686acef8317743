import { describe, expect, it } from "vitest";
import type { TrialResultInput } from "../../../core/sweep/record-trial-result.ts";
import { tellStudy, type ToldRun } from "../../../core/sweep/tell-study.ts";
import { makeStudy, trial } from "./study-fixtures.ts";

const finished = (valLoss: number[]): TrialResultInput => ({
  kind: "finished",
  metrics: { val_loss: valLoss.at(-1)! },
  history: valLoss.map((v) => ({ val_loss: v })),
  epochs: valLoss.length,
  prunedAtEpoch: null,
});

describe("tellStudy", () => {
  it.each([
    {
      what: "the matrix's tell: trials without a run become failed",
      unreportedFail: true,
      states: ["complete", "complete", "failed", "failed"],
      result: { told: [1], unknown: ["runs/x-t009"], unreported: [2] },
    },
    {
      what: "the CLI's tell: trials without a run stay running",
      unreportedFail: false,
      states: ["complete", "complete", "running", "failed"],
      result: { told: [1], unknown: ["runs/x-t009"], unreported: [] },
    },
  ])("$what", ({ unreportedFail, states, result }) => {
    const study = makeStudy({
      trials: [
        trial(0, "complete", [0.5, 0.4]),
        trial(1, "running", []),
        trial(2, "running", []),
        trial(3, "failed", []),
      ],
    });
    const runs: ToldRun[] = [
      { number: 1, dir: "runs/x-t001", result: finished([0.6, 0.3]) },
      { number: 9, dir: "runs/x-t009", result: finished([0.1]) },
    ];
    expect(tellStudy(study, runs, { unreportedFail })).toEqual(result);
    expect(study.trials.map((t) => t.state)).toEqual(states);
    expect(study.trials[1]).toMatchObject({ value: 0.3, intermediate: [0.6, 0.3], epochs: 2 });
    if (unreportedFail) expect(study.trials[2]?.failure?.code).toBe("trial-not-reported");
    // A trial that ended before is left as it was.
    expect(study.trials[3]?.failure).toBeUndefined();
  });
});
