import { githubMessage } from "./http-status.ts";

type RunnerData = {
  id: number;
  name: string;
  os: string;
  status: string;
  busy: boolean;
  labels: Array<{ name: string }>;
};

/** What checkRunnerLabels needs of an Octokit client. */
export type RunnersPort = {
  rest: {
    actions: {
      listSelfHostedRunnersForRepo(params: {
        owner: string;
        repo: string;
        per_page?: number;
        page?: number;
      }): Promise<{
        data: { total_count: number; runners: RunnerData[] };
      }>;
      listSelfHostedRunnersForOrg(params: { org: string; per_page?: number; page?: number }): Promise<{
        data: { total_count: number; runners: RunnerData[] };
      }>;
    };
  };
};

export type RunnerInfo = {
  id: number;
  name: string;
  scope: "repository" | "organization";
  busy: boolean;
  labels: string[];
};

export type RunnerLabelsResult =
  /** At least one online runner carries every label. */
  | { status: "available"; runners: RunnerInfo[] }
  /** Runners were readable and none online carries every label (offline matches are listed). */
  | { status: "none-online"; offline: RunnerInfo[] }
  /** No runner list could be read (no permission, API error): do not raise an alarm. */
  | { status: "unknown"; reason: string };

/**
 * Self-hosted runners that could take a job with `labels` (matched case-insensitively, like
 * GitHub): the repository's and, when the token can read them, the organisation's. A scope that
 * cannot be read is skipped; when neither can, the answer is `unknown`, never a false alarm.
 * GitHub-hosted labels (`ubuntu-latest`…) are not self-hosted and always read as `unknown`.
 */
export async function checkRunnerLabels(
  octokit: RunnersPort,
  opts: { owner: string; repo: string; labels: readonly string[] },
): Promise<RunnerLabelsResult> {
  const wanted = opts.labels.map((l) => l.toLowerCase());
  if (!wanted.includes("self-hosted"))
    return { status: "unknown", reason: "the labels do not ask for a self-hosted runner" };
  const runners: Array<RunnerInfo & { online: boolean }> = [];
  const errors: string[] = [];
  let read = 0;
  const scopes: Array<
    ["repository" | "organization", (page: number) => Promise<{ data: { runners: RunnerData[] } }>]
  > = [
    [
      "repository",
      (page) =>
        octokit.rest.actions.listSelfHostedRunnersForRepo({
          owner: opts.owner,
          repo: opts.repo,
          per_page: 100,
          page,
        }),
    ],
    [
      "organization",
      (page) => octokit.rest.actions.listSelfHostedRunnersForOrg({ org: opts.owner, per_page: 100, page }),
    ],
  ];
  for (const [scope, list] of scopes) {
    try {
      for (let page = 1; page <= 10; page++) {
        const { data } = await list(page);
        for (const r of data.runners) {
          const labels = r.labels.map((l) => l.name);
          const have = new Set(labels.map((l) => l.toLowerCase()));
          if (wanted.every((l) => have.has(l)))
            runners.push({
              id: r.id,
              name: r.name,
              scope,
              busy: r.busy,
              labels,
              online: r.status === "online",
            });
        }
        if (data.runners.length < 100) break;
      }
      read++;
    } catch (err) {
      errors.push(`${scope}: ${githubMessage(err)}`);
    }
  }
  if (read === 0) return { status: "unknown", reason: errors.join("; ") };
  const strip = ({ online: _online, ...r }: RunnerInfo & { online: boolean }): RunnerInfo => r;
  const online = runners.filter((r) => r.online);
  if (online.length > 0) return { status: "available", runners: online.map(strip) };
  return { status: "none-online", offline: runners.map(strip) };
}
