import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  completeCheckRun,
  createCheckRun,
  listCheckRuns,
  outputBatches,
  updateCheckRun,
} from "../../../adapters/github/check-runs.ts";
import type { CheckAnnotation } from "../../../core/bot/check-run-result.ts";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/fake-github.ts";
import { CLIENTS } from "./github-clients.ts";

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(() => gh.close());

const annotation = (i: number): CheckAnnotation => ({
  path: ".github/modelship.yml",
  start_line: i + 1,
  end_line: i + 1,
  annotation_level: "failure",
  title: `gate ${i}`,
  message: `metric ${i} below its gate`,
});

describe("check runs", () => {
  it.each(CLIENTS)(
    "creates, updates and completes modelship/train with 120 annotations in batches of 50 (%s client)",
    async (_kind, make) => {
      const repo = gh.repo("acme", `checks-${_kind}`);
      const sha = repo.refs["refs/heads/main"] ?? "";
      const octokit = make(gh);
      gh.calls.length = 0;
      const now = new Date("2026-02-01T10:00:00Z");
      const created = await createCheckRun(octokit, {
        owner: "acme",
        repo: repo.name,
        headSha: sha,
        externalId: "corr-1",
        output: { title: "Queued", summary: "Training queued" },
      });
      await updateCheckRun(octokit, {
        owner: "acme",
        repo: repo.name,
        checkRunId: created.id,
        status: "in_progress",
        detailsUrl: "https://github.com/acme/x/actions/runs/1",
      });
      const huge = "x".repeat(70_000);
      const done = await completeCheckRun(octokit, {
        owner: "acme",
        repo: repo.name,
        checkRunId: created.id,
        conclusion: "failure",
        now,
        output: {
          title: "2 gates failed",
          summary: huge,
          text: huge,
          annotations: Array.from({ length: 120 }, (_, i) => annotation(i)),
        },
      });
      expect(done).toMatchObject({
        id: created.id,
        status: "completed",
        conclusion: "failure",
        externalId: "corr-1",
      });
      expect(gh.calls.map((c) => c.operationId)).toEqual([
        "checks/create",
        "checks/update",
        "checks/update",
        "checks/update",
        "checks/update",
      ]);
      const sizes = gh.calls.map(
        (c) => ((c.body as { output?: { annotations?: unknown[] } }).output?.annotations ?? []).length,
      );
      expect(sizes).toEqual([0, 0, 50, 50, 20]);
      const stored = repo.checkRuns.find((r) => r.id === created.id);
      expect(stored?.annotations).toHaveLength(120);
      expect(stored?.output.summary?.length).toBe(65_535);
      expect(stored?.output.summary?.endsWith("(truncated)")).toBe(true);
      expect(stored?.completedAt).toBe("2026-02-01T10:00:00.000Z");
      expect(await listCheckRuns(octokit, { owner: "acme", repo: repo.name, ref: sha })).toEqual([
        expect.objectContaining({ id: created.id, conclusion: "failure" }),
      ]);
      expect(gh.invalid).toEqual([]);
    },
  );

  it.each([
    [0, 1],
    [50, 1],
    [51, 2],
    [150, 3],
  ])("splits %i annotations into %i requests", (n, requests) => {
    const batches = outputBatches({
      title: "t",
      summary: "s",
      annotations: Array.from({ length: n }, (_, i) => annotation(i)),
    });
    expect(batches).toHaveLength(requests);
    expect(batches.flatMap((b) => b.annotations ?? [])).toHaveLength(n);
    expect(batches.every((b) => b.title === "t" && b.summary === "s")).toBe(true);
  });
});
