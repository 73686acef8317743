import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkRunRecordText, parseCheckRunRecord } from "../../adapters/github/check-run-record.ts";
import { runCli } from "../cli/run-cli.ts";
import { OWNER, REPO, startHarness, type Harness } from "./bot-harness.ts";
import { trainOnPr } from "./train-on-pr.ts";

// The App keeps each PR run's record on its modelship/train check run, so it outlives the
// workflow artifact; `modelship runs pull --source checks` copies it into the run history.

const FIXTURE = "test/fixtures/runs/iris-candidate";
let work: string;
let h: Harness | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "modelship-check-records-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  if (h) {
    await h.checkAndClose();
    h = undefined;
  }
});

describe("run records on the check run", () => {
  it("the App stores the record on the PR's check run and `runs pull --source checks` finds it", async () => {
    h = await startHarness();
    await trainOnPr(h, { work });
    const check = h.repo.checkRuns[0]!;
    expect(check.status).toBe("completed");
    const record = parseCheckRunRecord(check.output.text);
    expect(record).toMatchObject({
      runId: "20261126-174233-9b8e7d",
      omitted: [],
      workflowRun: { id: 4242, url: `https://github.com/${OWNER}/${REPO}/actions/runs/4242` },
      artifact: { id: 4243, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
    expect(Object.keys(record!.files)).toEqual(["run.json", "metrics.json", "params.json", "history.json"]);

    const workspace = join(work, "clone");
    const pull = await runCli(
      [
        "runs",
        "pull",
        "--source",
        "checks",
        "--github-repo",
        `${OWNER}/${REPO}`,
        "--repo",
        workspace,
        "--json",
      ],
      { cwd: process.cwd(), env: { GITHUB_API_URL: h.fake.url, GITHUB_TOKEN: "ghp_reader" } },
    );
    expect(pull.stderr).toBe("");
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout)).toEqual({
      repository: `${OWNER}/${REPO}`,
      pullRequests: [1],
      pulled: ["20261126-174233-9b8e7d"],
      unchanged: [],
    });
    const pulledDir = join(workspace, ".modelship/runs/pulled/20261126-174233-9b8e7d");
    for (const file of ["run.json", "metrics.json", "params.json", "history.json"]) {
      expect(await readFile(join(pulledDir, file), "utf8")).toBe(await readFile(join(FIXTURE, file), "utf8"));
    }
    const list = await runCli(["runs", "list", "--repo", workspace, "--json"], { cwd: process.cwd() });
    expect(JSON.parse(list.stdout).runs).toEqual([
      expect.objectContaining({ id: "20261126-174233-9b8e7d", source: "pulled" }),
    ]);
    // A second pull finds the same record unchanged.
    const again = await runCli(
      [
        "runs",
        "pull",
        "--source",
        "checks",
        "--github-repo",
        `${OWNER}/${REPO}`,
        "--pr",
        "1",
        "--repo",
        workspace,
        "--json",
      ],
      { cwd: process.cwd(), env: { GITHUB_API_URL: h.fake.url, GITHUB_TOKEN: "ghp_reader" } },
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ pulled: [], unchanged: ["20261126-174233-9b8e7d"] });
  });

  it.each([
    [
      "no token",
      ["--github-repo", "o/r"],
      { GITHUB_TOKEN: "", GH_TOKEN: "" },
      "GITHUB_TOKEN (or GH_TOKEN) is not set",
    ],
    [
      "a bad --pr",
      ["--github-repo", "o/r", "--pr", "1,x"],
      { GITHUB_TOKEN: "t" },
      "--pr must be pull request numbers",
    ],
    [
      "a bad --github-repo",
      ["--github-repo", "nope"],
      { GITHUB_TOKEN: "t" },
      "--github-repo must be OWNER/REPO",
    ],
  ])("refuses %s with exit 2", async (_what, args, env, message) => {
    const r = await runCli(["runs", "pull", "--source", "checks", "--repo", work, ...args], {
      cwd: process.cwd(),
      env: { GITHUB_REPOSITORY: "", ...env },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe("checkRunRecordText", () => {
  it("leaves out the history, and says so, when the record would not fit GitHub's output limit", async () => {
    const dir = join(work, "long-history");
    await cp(FIXTURE, dir, { recursive: true });
    // Random values do not compress: 8,000 epochs are far more than 65,535 characters gzip'd.
    const epochs = Array.from({ length: 8000 }, (_, i) => ({
      epoch: i + 1,
      loss: Math.random(),
      val_loss: Math.random(),
    }));
    await writeFile(join(dir, "history.json"), JSON.stringify({ epochs }));
    const text = await checkRunRecordText(dir, { runId: "long" });
    expect(text.length).toBeLessThanOrEqual(65_535);
    expect(text).toContain("(left out to fit: history.json)");
    const record = parseCheckRunRecord(text)!;
    expect(record.omitted).toEqual(["history.json"]);
    expect(record.files["run.json"]).toBe(await readFile(join(FIXTURE, "run.json"), "utf8"));
  });

  it.each([
    ["no text", null],
    ["text without a record", "just a summary"],
    ["a damaged block", "<!-- modelship:run-record v1 gzip+base64\nnot-base64!!\n-->"],
  ])("finds no record in %s", (_what, text) => {
    expect(parseCheckRunRecord(text)).toBeUndefined();
  });
});
