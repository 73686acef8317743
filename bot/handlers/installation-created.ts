import type { BotLog } from "../bot-event.ts";
import type { OnboardingResult } from "../open-onboarding-pull.ts";

export type InstallationPayload = {
  installation: { account: { login: string } | null };
  repositories?: Array<{ name: string; full_name: string }>;
  repositories_added?: Array<{ name: string; full_name: string }>;
};

/** At most this many repositories are onboarded per event (the rest on their next push to a PR). */
const MAX_REPOSITORIES = 20;

/** `installation.created` and `installation_repositories.added`: an onboarding PR per new repository. */
export async function handleInstallationCreated(
  env: { log: BotLog; onboard: (owner: string, repo: string) => Promise<OnboardingResult> },
  payload: InstallationPayload,
): Promise<void> {
  const repos = (payload.repositories ?? payload.repositories_added ?? []).slice(0, MAX_REPOSITORIES);
  for (const repo of repos) {
    const [owner, name] = repo.full_name.split("/");
    if (!owner || !name) continue;
    const result = await env.onboard(owner, name);
    env.log.info({ repo: repo.full_name, ...result }, "onboarding");
  }
}
