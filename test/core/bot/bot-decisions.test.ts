import { describe, expect, it } from "vitest";
import { bumpFromLabels } from "../../../core/bot/bump-from-labels.ts";
import {
  beatsBaseline,
  isRetrainBranch,
  parseCandidateRecord,
  renderCandidatePull,
  renderCandidateRecord,
  renderRetrainFailureIssue,
  retrainBranch,
} from "../../../core/bot/candidate-pull.ts";
import { onboardingModelName } from "../../../core/bot/onboarding-model-name.ts";
import { renderTrainParamsText, trainCommandFromText } from "../../../core/bot/train-params-text.ts";
import { checkRunFromComparison, failedRunOutcome } from "../../../core/bot/check-run-result.ts";
import { checkWebhookSecret } from "../../../core/bot/check-webhook-secret.ts";
import {
  correlationFromRun,
  correlationFromRunName,
  createCorrelationId,
  derivedCorrelationId,
  parseCorrelationId,
  trainDispatchInputs,
  trainRunName,
} from "../../../core/bot/correlation-id.ts";
import { liveVersion, parseDeploymentPayload } from "../../../core/bot/deployment-payload.ts";
import { globToRegExp, matchesPaths, trainingPaths } from "../../../core/bot/matches-paths.ts";
import { planDeployment } from "../../../core/bot/plan-deployment.ts";
import { compareRuns } from "../../../core/compare/compare-runs.ts";
import { ConfigSchema } from "../../../core/config/schema.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("correlation ids", () => {
  it.each([
    { pr: 42, nonce: "c1234", id: `pr42-${SHA}-c1234`, kind: "pr" },
    { pr: null, nonce: "Nightly-Run!", id: `sched-${SHA}-nightlyrun`, kind: "sched" },
    { pr: 7, nonce: "x", id: `pr7-${SHA}-x000`, kind: "pr" },
  ])("round-trips pr=$pr nonce=$nonce", ({ pr, nonce, id, kind }) => {
    expect(createCorrelationId({ pr, headSha: SHA, nonce })).toBe(id);
    expect(parseCorrelationId(id)).toEqual({ id, pr, kind, headSha: SHA });
    expect(correlationFromRunName(trainRunName(id))).toEqual({ id, pr, kind, headSha: SHA });
  });

  it.each(["sched", "drift", "manual"] as const)("reads the id the workflow derives for a %s run", (kind) => {
    const id = derivedCorrelationId({ kind, headSha: SHA, runId: 15123456789 });
    expect(id).toBe(`${kind}-${SHA}-15123456789`);
    expect(correlationFromRunName(trainRunName(id))).toEqual({ id, pr: null, kind, headSha: SHA });
  });

  it.each([
    { title: "modelship train ", event: "schedule", out: `sched-${SHA}-7777` },
    { title: `modelship train drift-${SHA}-7777`, event: "workflow_dispatch", out: `drift-${SHA}-7777` },
    { title: "modelship train ", event: "workflow_dispatch", out: undefined },
    { title: "Nightly", event: "push", out: undefined },
  ])("finds the correlation of a $event run titled $title", ({ title, event, out }) => {
    expect(correlationFromRun({ displayTitle: title, event, headSha: SHA, runId: 7777 })?.id).toBe(out);
  });

  it.each([
    "modelship train",
    "CI",
    `modelship train pr1-${SHA}-c1 extra`,
    `modelship train pr1-XYZ-c1234`,
    `Modelship train pr1-${SHA}-c1234`,
  ])("ignores the run title %j", (title) => {
    expect(correlationFromRunName(title)).toBeUndefined();
  });

  it("builds the five dispatch inputs of the contract, all strings", () => {
    expect(
      trainDispatchInputs({
        pr: null,
        headSha: SHA,
        params: { lr: 0.1 },
        correlationId: "sched-x",
        trigger: "schedule",
      }),
    ).toEqual({
      pr_number: "",
      head_sha: SHA,
      params: '{"lr":0.1}',
      correlation_id: "sched-x",
      trigger: "schedule",
    });
  });
});

describe("training paths", () => {
  it.each([
    { glob: "src/**", file: "src/a/b.py", match: true },
    { glob: "src/**", file: "srcx/a.py", match: false },
    { glob: "**/*.py", file: "train.py", match: true },
    { glob: "**/*.py", file: "a/b/train.py", match: true },
    { glob: "*.py", file: "a/train.py", match: false },
    { glob: "data", file: "data/iris.csv", match: true },
    { glob: "data/*.{csv,json}", file: "data/x.json", match: true },
    { glob: "data/?.csv", file: "data/ab.csv", match: false },
    { glob: "a.b", file: "axb", match: false },
  ])("$glob vs $file → $match", ({ glob, file, match }) => {
    expect(globToRegExp(glob).test(file)).toBe(match);
  });

  it("defaults to data files, the config and code, and ignores docs", () => {
    const config = ConfigSchema.parse({ data: { source: ["data/iris.csv"] } });
    const globs = trainingPaths(config);
    expect(matchesPaths(["data/iris.csv"], globs)).toBe(true);
    expect(matchesPaths([".github/modelship.yml"], globs)).toBe(true);
    expect(matchesPaths(["model/train.py"], globs)).toBe(true);
    expect(matchesPaths(["README.md", "docs/guide.md"], globs)).toBe(false);
    expect(trainingPaths(ConfigSchema.parse({ github: { paths: ["models/**"] } }))).toEqual(["models/**"]);
  });
});

describe("bumpFromLabels", () => {
  it.each([
    { labels: ["bug", "model:minor"], out: { ok: true, bump: "minor" } },
    { labels: ["model:major", "model:major"], out: { ok: true, bump: "major" } },
    { labels: ["model:huge"], out: { ok: true, bump: null } },
    { labels: [], out: { ok: true, bump: null } },
    {
      labels: ["model:patch", "model:major"],
      out: { ok: false, reason: "conflicting-bump-labels", labels: ["model:patch", "model:major"] },
    },
  ])("$labels", ({ labels, out }) => {
    expect(bumpFromLabels(labels)).toEqual(out);
  });
});

describe("checkWebhookSecret", () => {
  it.each([
    { secret: undefined, reason: "webhook-secret-missing" },
    { secret: "", reason: "webhook-secret-missing" },
    { secret: "development", reason: "webhook-secret-weak" },
    { secret: "short-secret", reason: "webhook-secret-weak" },
    { secret: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", reason: "webhook-secret-weak" },
  ])("refuses $secret ($reason)", ({ secret, reason }) => {
    const r = checkWebhookSecret(secret);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
  it("accepts a random 32-byte hex secret", () => {
    expect(checkWebhookSecret("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")).toEqual({
      ok: true,
    });
  });
});

describe("check run results", () => {
  const gates = { accuracy: { direction: "maximize" as const, required: false, maxRegression: 0.01 } };
  it("fails with one annotation per failed gate, on the gate's line of the config", () => {
    const comparison = compareRuns({
      candidate: { label: "run 2", metrics: { accuracy: 0.8 }, params: {} },
      baseline: { label: "v1.0.0", metrics: { accuracy: 0.9 }, params: {} },
      gates,
    });
    const r = checkRunFromComparison({
      comparison,
      report: "R",
      configFile: ".github/modelship.yml",
      gateLine: () => 12,
    });
    expect(r.conclusion).toBe("failure");
    expect(r.title).toBe("1 gate failed");
    expect(r.annotations).toEqual([
      expect.objectContaining({
        path: ".github/modelship.yml",
        start_line: 12,
        end_line: 12,
        annotation_level: "failure",
        title: "Gate failed: accuracy",
      }),
    ]);
  });
  it("succeeds when every gate holds", () => {
    const comparison = compareRuns({
      candidate: { label: "run 2", metrics: { accuracy: 0.95 }, params: {} },
      baseline: { label: "v1.0.0", metrics: { accuracy: 0.9 }, params: {} },
      gates,
    });
    expect(checkRunFromComparison({ comparison, report: "R", configFile: "c" })).toMatchObject({
      conclusion: "success",
      title: "Every gate holds against v1.0.0",
      annotations: [],
    });
  });
  it.each([
    { conclusion: "failure", out: { conclusion: "failure", reason: "run-failed" } },
    { conclusion: "cancelled", out: { conclusion: "cancelled", reason: "run-cancelled" } },
    { conclusion: "timed_out", out: { conclusion: "timed_out", reason: "run-timed-out" } },
    { conclusion: null, out: { conclusion: "failure", reason: "run-failed" } },
  ])("a $conclusion run → $out.reason", ({ conclusion, out }) => {
    expect(failedRunOutcome(conclusion)).toEqual(out);
  });
});

describe("deployments", () => {
  const config = ConfigSchema.parse({
    model: { name: "iris" },
    deploy: {
      environments: { production: {}, staging: { requireApprovedReview: false, requireGreenChecks: false } },
    },
  });
  const base = {
    config,
    environment: "production",
    version: "1.1.0",
    previousVersion: "1.0.0",
    ref: SHA,
    pr: 3,
    kind: "merge" as const,
    lock: { locked: false } as const,
    actor: null,
    approvedReview: true,
    checksGreen: true,
    fromFork: false,
  };
  it("deploys with the contract's payload", () => {
    expect(planDeployment(base)).toEqual({
      action: "deploy",
      ref: SHA,
      description: "merge iris 1.1.0 to production",
      payload: {
        model: "iris",
        version: "1.1.0",
        strategy: "blue-green",
        previousVersion: "1.0.0",
        environment: "production",
        pr: 3,
      },
    });
  });
  it.each([
    { change: { lock: { locked: true, owner: "alice" } as const }, reason: "environment-locked" },
    { change: { lock: { locked: true, owner: null } as const }, reason: "environment-locked" },
    { change: { approvedReview: false }, reason: "review-required" },
    { change: { approvedReview: null }, reason: "review-required" },
    { change: { checksGreen: null }, reason: "checks-unknown" },
    { change: { checksGreen: false }, reason: "checks-not-green" },
    { change: { fromFork: true }, reason: "fork-not-allowed" },
    { change: { previousVersion: "1.1.0" }, reason: "already-deployed" },
    { change: { kind: "deploy" as const, approvedReview: false }, reason: "review-required" },
  ])("refuses: $reason", ({ change, reason }) => {
    const plan = planDeployment({ ...base, ...change });
    expect(plan).toMatchObject({ action: "refuse", reason });
  });
  it.each([
    {
      title: "the lock holder may deploy",
      change: { lock: { locked: true, owner: "alice" } as const, actor: "alice" },
    },
    {
      title: "staging has no review or check gate",
      change: { environment: "staging", approvedReview: false, checksGreen: false },
    },
    {
      title: "a rollback of released code skips the gates",
      change: { kind: "rollback" as const, approvedReview: null, checksGreen: null },
    },
    {
      title: "a rollback may redeploy the live version",
      change: { kind: "rollback" as const, previousVersion: "1.1.0" },
    },
    {
      title: "promote skips the PR gates",
      change: { kind: "promote" as const, approvedReview: null, checksGreen: null },
    },
  ])("$title", ({ change }) => {
    expect(planDeployment({ ...base, ...change }).action).toBe("deploy");
  });

  it("reads payloads back strictly and finds the live version", () => {
    const p = {
      model: "iris",
      version: "1.1.0",
      strategy: "blue-green",
      previousVersion: "1.0.0",
      environment: "production",
      pr: 3,
    };
    expect(parseDeploymentPayload(JSON.stringify(p))).toEqual(p);
    expect(parseDeploymentPayload({ ...p, strategy: "rainbow" })).toBeUndefined();
    expect(parseDeploymentPayload("{not json")).toBeUndefined();
    expect(
      liveVersion(
        [
          { payload: { ...p, version: "1.2.0", previousVersion: "1.1.0" }, latestState: "failure" },
          { payload: { ...p, model: "other" }, latestState: "success" },
          { payload: p, latestState: "success" },
        ],
        "iris",
      ),
    ).toEqual({ version: "1.1.0", previousVersion: "1.0.0" });
  });
});

describe("scheduled candidates and onboarding names", () => {
  it.each([
    { ref: retrainBranch("iris", "sched"), out: true },
    { ref: retrainBranch("iris.v2", "drift"), out: true },
    { ref: "modelship/retrain/iris/nightly", out: false },
    { ref: `modelship/candidate/sched-${SHA}-nightly1`, out: false },
    { ref: "feature/modelship/retrain/iris/sched", out: false },
    { ref: "modelship/retrain//sched", out: false },
  ])("retraining branch $ref → $out", ({ ref, out }) => {
    expect(isRetrainBranch(ref)).toBe(out);
  });

  it("names one git-safe branch per model and kind", () => {
    expect(retrainBranch("iris", "sched")).toBe("modelship/retrain/iris/sched");
    expect(retrainBranch("a..b.", "manual")).toBe("modelship/retrain/a-b-/manual");
  });

  it("a scheduled run beats production only with a baseline, every gate holding and the primary improved", () => {
    const gates = { accuracy: { direction: "maximize" as const, required: false, maxRegression: 0.01 } };
    const run = (accuracy: number, baseline?: number) =>
      compareRuns({
        candidate: { label: "c", metrics: { accuracy }, params: {} },
        ...(baseline !== undefined
          ? { baseline: { label: "v1", metrics: { accuracy: baseline }, params: {} } }
          : {}),
        gates,
        primary: "accuracy",
      });
    expect(beatsBaseline(run(0.95, 0.9))).toBe(true);
    expect(beatsBaseline(run(0.9, 0.9))).toBe(false);
    expect(beatsBaseline(run(0.85, 0.9))).toBe(false);
    expect(beatsBaseline(run(0.95))).toBe(false);
  });

  const record = {
    model: "iris",
    correlationId: `sched-${SHA}-4242`,
    workflowRunId: 4242,
    workflowRunUrl: "https://github.com/o/r/actions/runs/4242",
    artifact: { id: 77, name: `modelship-run-sched-${SHA}-4242`, digest: `sha256:${"ab".repeat(32)}` },
    runId: "run-1",
    headSha: SHA,
    dataFingerprint: "sha256:ab",
    baseline: "1.1.0",
    metrics: { accuracy: 0.99 },
  };

  it("records the candidate as JSON that reads back, pinned to one artifact", () => {
    const text = renderCandidateRecord(record);
    expect(JSON.parse(text)).toMatchObject({ format: "modelship.candidate/2", artifact: { id: 77 } });
    expect(parseCandidateRecord(text)).toMatchObject({
      ...record,
      correlation: { pr: null, kind: "sched", headSha: SHA },
    });
  });

  it.each([
    ["not JSON", "{"],
    [
      "a PR's correlation id",
      JSON.stringify({ ...record, format: "modelship.candidate/2", correlationId: `pr1-${SHA}-c1234` }),
    ],
    [
      "a digest that is not sha256",
      JSON.stringify({
        ...record,
        format: "modelship.candidate/2",
        artifact: { ...record.artifact, digest: "md5:x" },
      }),
    ],
    ["an unknown key", JSON.stringify({ ...record, format: "modelship.candidate/2", extra: 1 })],
    ["the old format", JSON.stringify({ ...record, format: "modelship.candidate/1" })],
  ])("refuses a record with %s", (_label, text) => {
    expect(parseCandidateRecord(text)).toBeUndefined();
  });

  it("names the run, the artifact id and the digest in the pull request", () => {
    const { title, body } = renderCandidatePull({ record, kind: "sched", environment: "production" });
    expect(title).toBe("Release iris: scheduled training beats v1.1.0");
    expect(body).toContain("[run 4242](https://github.com/o/r/actions/runs/4242)");
    expect(body).toContain("(id 77)");
    expect(body).toContain(`sha256:${"ab".repeat(32)}`);
  });

  it("says why a retraining run failed, escaped, with the run's link", () => {
    const { title, body } = renderRetrainFailureIssue({
      modelName: "iris",
      kind: "drift",
      reason: "run-failed",
      reasonText: "The training run failed.",
      message: "<script>@admins",
      runId: 9,
      runUrl: "https://github.com/o/r/actions/runs/9",
      headSha: SHA,
    });
    expect(title).toBe("Modelship: retraining after drift of iris failed");
    expect(body).toContain("[workflow run 9](https://github.com/o/r/actions/runs/9)");
    expect(body).not.toContain("<script>");
    expect(body).not.toMatch(/(?<!&#8203;)@admins/);
  });

  it.each([
    { repo: "Hello-World", name: "hello-world" },
    { repo: "my repo!!", name: "my-repo-" },
    { repo: "--", name: "model" },
    { repo: "x".repeat(80), name: "x".repeat(63) },
  ])("model name for repository $repo", ({ repo, name }) => {
    expect(onboardingModelName(repo)).toBe(name);
  });
});

describe("parameters recorded on the check run", () => {
  it.each([
    {
      text: renderTrainParamsText({ epochs: 20, optimizer: "sgd", shuffle: true }),
      named: [
        ["epochs", "20"],
        ["optimizer", "sgd"],
        ["shuffle", "true"],
      ],
    },
    { text: `summary\n${renderTrainParamsText({})}`, named: [] },
    { text: "modelship-params: {not json", named: [] },
    { text: 'modelship-params: {"a":{"nested":1}}', named: [] },
    { text: "modelship-params: [1,2]", named: [] },
    { text: null, named: [] },
  ])("$text", ({ text, named }) => {
    expect(trainCommandFromText(text)).toEqual({ name: "train", positional: [], named });
  });
});
