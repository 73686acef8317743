import type { Config } from "../config/schema.ts";
import { studyMaxEpochs, studyObjective } from "./study-objective.ts";
import type { PrunerName, SamplerName, Study } from "./study.ts";

/** Study options from the command line; left out, a new study takes the defaults, a stored one keeps its own. */
export type StudySettings = {
  sampler?: SamplerName;
  pruner?: PrunerName;
  seed?: number;
  gridPoints?: number;
  metric?: string;
};

export const STUDY_DEFAULTS = { sampler: "tpe", pruner: "median", seed: 1, gridPoints: 3 } as const;

export type OpenStudyResult =
  | { ok: true; study: Study; created: boolean }
  | { ok: false; reason: "study-settings-differ"; message: string; hint: string };

/** The stored study when the settings and train.search agree with it, else a new study (when none is stored). */
export function openStudy(opts: {
  name: string;
  config: Config;
  stored: Study | null;
  settings: StudySettings;
}): OpenStudyResult {
  const { stored, settings, config } = opts;
  const space = config.train.search as Record<string, unknown>;
  if (!stored) {
    return {
      ok: true,
      created: true,
      study: {
        schemaVersion: 1,
        name: opts.name,
        sampler: settings.sampler ?? STUDY_DEFAULTS.sampler,
        pruner: settings.pruner ?? STUDY_DEFAULTS.pruner,
        seed: settings.seed ?? STUDY_DEFAULTS.seed,
        gridPoints: settings.gridPoints ?? STUDY_DEFAULTS.gridPoints,
        objective: studyObjective(config, settings.metric),
        maxEpochs: studyMaxEpochs(config),
        space,
        trials: [],
      },
    };
  }
  const differs: string[] = (["sampler", "pruner", "seed", "gridPoints"] as const).filter(
    (k) => settings[k] !== undefined && settings[k] !== stored[k],
  );
  if (settings.metric !== undefined && settings.metric !== stored.objective.metric) differs.push("metric");
  if (JSON.stringify(sortKeys(space)) !== JSON.stringify(sortKeys(stored.space)))
    differs.push("train.search");
  if (differs.length > 0) {
    return {
      ok: false,
      reason: "study-settings-differ",
      message: `study ${stored.name} was created with other settings: ${differs.join(", ")} differ`,
      hint: `Leave those options out to continue it (it uses ${stored.sampler}, pruner ${stored.pruner}, seed ${stored.seed}, metric ${stored.objective.metric}), or start a new study with another --study name.`,
    };
  }
  return { ok: true, study: stored, created: false };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
