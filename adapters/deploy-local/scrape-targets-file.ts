import { join } from "node:path";
import { createScrapeTargets } from "../../core/monitoring/scrape-targets.ts";
import type { DeployState } from "../../core/rollout/deploy-state.ts";
import { COLOURS } from "../../core/rollout/rollout-types.ts";
import { deployStatePath, writeFileAtomic } from "./deploy-state-file.ts";

/** `<stateDir>/<env>.targets.json`: the environment's router and slots for Prometheus `file_sd_configs`. */
export function scrapeTargetsPath(stateDir: string, env: string): string {
  deployStatePath(stateDir, env); // refuses names that could escape the folder
  return join(stateDir, `${env}.targets.json`);
}

/** Writes the targets of what a state snapshot shows running; an empty list once the router stopped. */
export async function writeScrapeTargets(stateDir: string, state: DeployState): Promise<void> {
  const running = state.router !== null;
  const groups = createScrapeTargets({
    environment: state.environment,
    routerUrl: state.router?.url ?? null,
    slots: running
      ? COLOURS.flatMap((colour) => {
          const s = state.slots[colour];
          return s ? [{ colour, url: s.url }] : [];
        })
      : [],
  });
  await writeFileAtomic(
    scrapeTargetsPath(stateDir, state.environment),
    `${JSON.stringify(groups, null, 2)}\n`,
  );
}
