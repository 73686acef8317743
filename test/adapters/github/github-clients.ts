import { getOctokit } from "@actions/github";
import { ProbotOctokit } from "probot";
import type { FakeGitHub } from "../../support/fake-github/fake-github.ts";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Probot's client as the App holds it (retry and throttling off), pointed at the fake. */
export function probotClient(gh: FakeGitHub, token = "ghs_test"): InstanceType<typeof ProbotOctokit> {
  const Octokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
  return new Octokit({ auth: { token }, baseUrl: gh.url, log: quiet });
}

/** The Action's client, as `getOctokit(token)` makes it, pointed at the fake. */
export function actionsClient(gh: FakeGitHub, token = "ghs_action"): ReturnType<typeof getOctokit> {
  return getOctokit(token, { baseUrl: gh.url, log: quiet });
}

/** Both clients, for `it.each`: every adapter must work with each. */
export const CLIENTS = [
  ["probot", probotClient],
  ["actions", actionsClient],
] as const;
