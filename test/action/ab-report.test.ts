import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abReportMarker } from "../../core/monitoring/ab-report.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import {
  ensureRepo,
  startFakeGitHub,
  type FakeGitHub,
  type FakeRepo,
} from "../support/fake-github/fake-github.ts";
import { createWorkspace, IRIS_CONFIG, webhookExample } from "./action-workspace.ts";
import { CLI_ENTRY, runAction } from "./run-action.ts";

const AB_CONFIG = `${IRIS_CONFIG}deploy:
  port: 0
  strategy: ab
  ab: { weight: 50 }
  health: { readyTimeoutSeconds: 20, intervalMs: 100 }
  analysis: { smokeRequests: 3, postSwitchSeconds: 0, minAgreement: 0 }
  scaleDownDelaySeconds: 0
`;

const MARKER = abReportMarker("iris", "production");

let fake: FakeGitHub;
let repo: FakeRepo;
let ws = "";
let home = "";
let headSha = "";
let routerPid: number | undefined;

beforeAll(async () => {
  fake = await startFakeGitHub();
  repo = ensureRepo(fake.state, "Codertocat", "Hello-World");
  headSha = repo.refs["refs/heads/main"]!;
  home = await mkdtemp(join(tmpdir(), "modelship-ab-home-"));
  ws = await createWorkspace({ config: AB_CONFIG });
  await mkdir(join(ws, "runs", "iris-candidate", "model"), { recursive: true });
  await writeFile(join(ws, "runs", "iris-candidate", "model", "model.onnx"), classifierModel());
});
afterAll(async () => {
  if (routerPid !== undefined) {
    try {
      process.kill(-routerPid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  expect(fake.invalid).toEqual([]);
  await fake.close();
  await rm(ws, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

function run(inputs: Record<string, string>, event?: { name: string; payload: unknown }) {
  return runAction({
    workspace: ws,
    ...(event ? { event } : {}),
    inputs: { "github-token": "ghs_workflowtoken", ...inputs },
    apiUrl: fake.url,
    timeoutMs: 120_000,
    env: { GITHUB_SHA: headSha, MODELSHIP_CLI: CLI_ENTRY, MODELSHIP_HOME: home },
  });
}

const reportComments = () => repo.comments.filter((c) => c.issueNumber === 2 && c.body.includes(MARKER));

async function routerUrl(): Promise<string> {
  const admin = JSON.parse(
    await readFile(join(home, ".modelship", "deploy", "production.admin.json"), "utf8"),
  ) as { routerUrl: string; pid: number };
  routerPid = admin.pid;
  return admin.routerUrl;
}

describe("the A/B report reaches the job summary and the pull request", () => {
  it("a deploy that holds an A/B split writes the report; `ab-report` updates the same comment with the verdict on ground truth", async () => {
    const first = await run({ command: "register", "run-dir": "runs/iris-candidate" });
    expect(first.outputs["version"], first.stdout + first.stderr).toBe("1.0.0");
    const live = await run({ command: "deploy" });
    await routerUrl().catch(() => undefined);
    // Nothing is live yet: a first deploy is blue-green, whatever the strategy.
    expect(live.outputs, live.stdout + live.stderr).toMatchObject({ "reason-code": "promoted" });
    expect(live.summary).not.toContain("A/B report");

    const record = join(ws, "runs", "iris-candidate", "run.json");
    const parsed = JSON.parse(await readFile(record, "utf8")) as Record<string, unknown>;
    await writeFile(record, JSON.stringify({ ...parsed, runId: "20261206-080000-bbbbbb" }));
    const second = await run({
      command: "register",
      "run-dir": "runs/iris-candidate",
      baseline: "runs/iris-baseline",
    });
    const v2 = second.outputs["version"]!;
    expect(v2).not.toBe("1.0.0");

    const held = await run({ command: "deploy", pr: "2" });
    expect(held.outputs, held.stdout + held.stderr).toMatchObject({
      decision: "pass",
      "reason-code": "holding",
      version: v2,
    });
    expect(held.summary).toContain(`### A/B report · production · ab of v${v2} (holding)`);
    expect(held.summary).toMatch(/\| candidate \| v[\d.]+ \| 50% \|/);
    expect(held.summary).toContain("**Verdict:** no labelled requests for both variants yet");
    // The GitHub deployment the Action created names the configured strategy.
    expect(repo.deployments.at(-1)?.payload).toMatchObject({ strategy: "ab", version: v2 });
    expect(reportComments()).toHaveLength(1);
    const comment = reportComments()[0]!;
    expect(comment.body).toContain("**Verdict:** no labelled requests for both variants yet");
    expect(comment.user.type).toBe("Bot");

    // Clients send their requests' ids, then the ground truth for each.
    const url = await routerUrl();
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${url}/v2/models/iris/infer`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-modelship-key": `user-${i}` },
        body: JSON.stringify({
          id: `order-${i}`,
          inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
        }),
      });
      expect(res.status, await res.text()).toBe(200);
      const fed = await fetch(`${url}/v2/models/iris/feedback`, {
        method: "POST",
        body: JSON.stringify({ id: `order-${i}`, label: i % 3 === 0 ? "setosa" : "versicolor" }),
      });
      expect(fed.status).toBe(200);
    }

    const before = fake.calls.length;
    const report = await run({ command: "ab-report", pr: "2" });
    expect(report.code, report.stdout + report.stderr).toBe(0);
    expect(report.outputs["decision"]).toBe("pass");
    expect(["candidate-better", "candidate-worse", "not-significant"]).toContain(
      report.outputs["reason-code"],
    );
    expect(report.summary).toContain("## Modelship · ab-report");
    expect(report.summary).toMatch(/\*\*Verdict:\*\* (candidate better|candidate worse|not yet significant)/);
    const ops = fake.calls.slice(before).map((c) => c.operationId);
    expect(ops).toContain("issues/update-comment");
    expect(ops).not.toContain("issues/create-comment");
    expect(reportComments()).toHaveLength(1);
    const updated = reportComments()[0]!;
    expect(updated.id).toBe(comment.id);
    expect(updated.body).toMatch(/\*\*Verdict:\*\* (candidate better|candidate worse|not yet significant)/);
    const labelled = [...updated.body.matchAll(/^\| (stable|candidate) \|(?:[^|]*\|){7} (\d+) \|/gm)].map(
      (m) => Number(m[2]),
    );
    expect(labelled.reduce((a, b) => a + b, 0)).toBe(40);

    // What the App's `/ab-report` starts: the deploy workflow's ab-report job, on workflow_dispatch.
    const dispatch = await webhookExample("workflow_dispatch");
    dispatch["inputs"] = { environment: "production", pr_number: "2" };
    const viaApp = await run(
      { command: "ab-report", environment: "production" },
      { name: "workflow_dispatch", payload: dispatch },
    );
    expect(viaApp.outputs, viaApp.stdout + viaApp.stderr).toMatchObject({
      decision: "pass",
      "reason-code": report.outputs["reason-code"],
    });
    expect(reportComments()).toHaveLength(1);
    expect(reportComments()[0]!.body).toContain("**Verdict:**");
    // Two registrations (each loads the model once), two deploys and three Action runs.
  }, 300_000);

  it("`ab-report` without a running router is an error with its reason code", async () => {
    const empty = await mkdtemp(join(tmpdir(), "modelship-ab-none-"));
    try {
      const result = await runAction({
        workspace: ws,
        inputs: { "github-token": "ghs_workflowtoken", command: "ab-report", environment: "staging" },
        apiUrl: fake.url,
        env: { GITHUB_SHA: headSha, MODELSHIP_HOME: empty },
      });
      expect(result.code).toBe(1);
      expect(result.outputs).toMatchObject({ decision: "error", "reason-code": "router-not-running" });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
