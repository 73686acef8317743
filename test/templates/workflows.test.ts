import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Evaluator, Lexer, Parser, data } from "@actions/expressions";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { correlationFromRunName } from "../../core/bot/correlation-id.ts";
import { INIT_ARTIFACT_NAME } from "../../core/init/init-options.ts";
import { actionlintFindings, parserErrors } from "./lint-workflow.ts";
import { renderSamples, type RenderedSample } from "./render-samples.ts";
import { scanScriptExpressions } from "./scan-run-expressions.ts";

type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  "continue-on-error"?: string | boolean;
};
type Job = {
  "runs-on": unknown;
  environment?: unknown;
  permissions?: unknown;
  steps: Step[];
  needs?: unknown;
  if?: string;
  strategy?: { matrix?: unknown };
};
type Workflow = {
  name: string;
  "run-name"?: string;
  on: Record<string, unknown> | string;
  permissions: unknown;
  concurrency: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
};

const SHA_PINNED = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._/-]+)?@[0-9a-f]{40}$/;

let samples: RenderedSample[] = [];
const workflows = () => samples.filter((s) => s.file.path.startsWith(".github/workflows/"));
const find = (sample: string, path: string): Workflow => {
  const s = samples.find((x) => x.sample === sample && x.file.path === path);
  if (!s) throw new Error(`no ${path} for ${sample}`);
  return parse(s.file.content) as Workflow;
};
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);

beforeAll(async () => {
  samples = await renderSamples();
});

describe("workflow templates", () => {
  it("render for every sample (3 samples × 3 workflows)", () => {
    expect(workflows()).toHaveLength(9);
  });

  it("pass GitHub's workflow parser", () => {
    for (const s of workflows()) {
      expect(parserErrors(s.file.path, s.file.content), `${s.sample}: ${s.file.path}`).toEqual([]);
    }
  });

  it("pass actionlint with no findings", async () => {
    for (const s of workflows()) {
      const custom = s.labels.filter((l) => !["self-hosted", "linux", "x64", "ubuntu-latest"].includes(l));
      expect(await actionlintFindings(s.file.path, s.file.content, custom), s.sample).toEqual([]);
    }
  });

  it("put no untrusted context inside ${{ }} in a run step", () => {
    for (const s of workflows()) expect(scanScriptExpressions(s.file.content), s.file.path).toEqual([]);
  });

  it("pin every third-party action to a full commit SHA, checkouts without persisted credentials", () => {
    for (const s of workflows()) {
      const wf = parse(s.file.content) as Workflow;
      for (const step of steps(wf)) {
        if (step.uses === undefined) continue;
        if (step.uses === s.action) continue;
        expect(step.uses, `${s.file.path}: ${step.name}`).toMatch(SHA_PINNED);
        if (step.uses.startsWith("actions/checkout@")) expect(step.with?.["persist-credentials"]).toBe(false);
      }
      expect(s.file.content).not.toContain("OWNER/modelship");
    }
  });

  it("set permissions explicitly: none at the top, the least each job needs", () => {
    for (const s of workflows()) {
      const wf = parse(s.file.content) as Workflow;
      expect(wf.permissions, s.file.path).toEqual({});
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect(job.permissions, `${s.file.path} job ${name}`).toBeTypeOf("object");
        for (const level of Object.values(job.permissions as Record<string, string>))
          expect(["read", "write"]).toContain(level);
      }
    }
  });
});

describe("modelship-train.yml", () => {
  const path = ".github/workflows/modelship-train.yml";

  it("takes exactly the dispatch inputs the App sends, and names runs by correlation id", () => {
    const wf = find("local, GPU labels", path);
    const on = wf.on as {
      workflow_dispatch: { inputs: Record<string, { type: string }> };
      schedule: { cron: string }[];
    };
    expect(Object.keys(on.workflow_dispatch.inputs)).toEqual([
      "pr_number",
      "head_sha",
      "params",
      "correlation_id",
      "trigger",
    ]);
    for (const input of Object.values(on.workflow_dispatch.inputs)) expect(input.type).toBe("string");
    expect(wf["run-name"]).toMatch(/^modelship train \$\{\{ inputs\.correlation_id \|\| format\(/);
    expect(on.schedule.length).toBeGreaterThan(0);
  });

  it.each([
    ["local, GPU labels", ["self-hosted", "gpu"]],
    ["kubernetes, built-in labels only", ["self-hosted", "linux", "x64"]],
    ["local, labels that look like YAML scalars", ["self-hosted", "true", "a100_80gb"]],
  ])("runs training on the configured runner labels (%s)", (sample, labels) => {
    const wf = find(sample, path);
    expect(wf.jobs["train"]?.["runs-on"]).toEqual(labels);
  });

  it("trains the dispatched commit, per pull request, and uploads <artifactName>-<correlation_id>", () => {
    const wf = find("local, GPU labels", path);
    expect(wf.concurrency.group).toContain("${{ inputs.pr_number || github.ref }}");
    const train = wf.jobs["train"]!;
    expect(train.permissions).toEqual({ contents: "read" });
    const checkout = train.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["ref"]).toBe("${{ inputs.head_sha || github.sha }}");
    const action = train.steps.find((s) => s.uses === "acme/modelship@v1");
    expect(action?.with).toMatchObject({
      command: "train",
      params: "${{ inputs.params }}",
      "run-id": "${{ steps.inputs.outputs.correlation_id }}",
    });
    const upload = train.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with?.["name"]).toBe(`${INIT_ARTIFACT_NAME}-\${{ steps.inputs.outputs.correlation_id }}`);
    // The Action names the run directory it wrote (workspace-relative), with run.json at its root.
    expect(upload?.with?.["path"]).toBe("${{ steps.train.outputs.run-dir }}");
    expect(action?.with?.["run-dir"]).toBe(".modelship/runs");
    expect(train.steps.map((s) => s.uses?.split("@")[0] ?? "run")).toEqual([
      "run",
      "actions/checkout",
      "actions/cache/restore",
      "acme/modelship",
      "actions/cache/save",
      "actions/upload-artifact",
    ]);
  });

  it("caches checkpoints under one key prefix for restore and save, saving only interrupted runs", () => {
    const train = find("local, GPU labels", path).jobs["train"]!;
    const restore = train.steps.find((s) => s.uses?.startsWith("actions/cache/restore@"))!;
    const save = train.steps.find((s) => s.uses?.startsWith("actions/cache/save@"))!;
    const action = train.steps.find((s) => s.uses === "acme/modelship@v1")!;
    expect(restore.with?.["path"]).toBe(action.with?.["checkpoint-dir"]);
    expect(save.with?.["path"]).toBe(action.with?.["checkpoint-dir"]);
    expect(save.with?.["key"]).toBe(restore.with?.["key"]);
    expect(restore.with?.["restore-keys"]).toBe("${{ steps.inputs.outputs.checkpoint_prefix }}");
    expect(save.if).toBe("failure() || cancelled()");
  });

  it("reports from a separate job that never runs the trained code, with the config of the default branch", () => {
    const report = find("local, GPU labels", path).jobs["report"]!;
    expect(report.needs).toBe("train");
    // Every run reports (a cron run too); only a run for a pull request fails on a failed gate.
    expect(report.if).toBe("needs.train.outputs.correlation_id != ''");
    const step = report.steps.find((s) => s.with?.["command"] === "report");
    expect(step).toMatchObject({
      id: "report",
      "continue-on-error": "${{ needs.train.outputs.pr_number == '' }}",
    });
    expect(report.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(report.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with?.["ref"]).toBe(
      "${{ github.event.repository.default_branch }}",
    );
    expect(step?.with).toMatchObject({ pr: "${{ needs.train.outputs.pr_number }}" });
    // The comparison plots the report drew go up as <artifactName>-plots, where the App finds them.
    expect(report.steps.at(-1)).toMatchObject({
      if: "${{ !cancelled() && steps.report.outputs.plots-dir != '' }}",
      with: { name: "modelship-run-plots", path: "${{ steps.report.outputs.plots-dir }}" },
    });
    expect(report.steps.at(-1)?.uses).toMatch(/^actions\/upload-artifact@[0-9a-f]{40}$/);
  });
});

/** Evaluates a `run-name` the way GitHub does: each `${{ }}` with the `github` and `inputs` contexts. */
function renderRunName(template: string, context: { github: object; inputs: object }): string {
  const ctx = JSON.parse(JSON.stringify(context), data.reviver) as data.Dictionary;
  return template.replace(/\$\{\{(.*?)\}\}/gs, (_m, source: string) => {
    const { tokens } = new Lexer(source.trim()).lex();
    const expr = new Parser(tokens, ["github", "inputs"], []).parse();
    return new Evaluator(expr, ctx).evaluate().coerceString();
  });
}

describe("the input check of modelship-train.yml, run with bash", () => {
  let script = "";
  beforeAll(() => {
    const wf = find("local, GPU labels", ".github/workflows/modelship-train.yml");
    script = wf.jobs["train"]!.steps[0]!.run!;
  });

  async function runCheck(env: Record<string, string>) {
    const dir = await mkdtemp(join(tmpdir(), "ms-train-inputs-"));
    const output = join(dir, "output");
    await writeFile(output, "");
    const r = spawnSync("bash", ["-e", "-c", script], {
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        GITHUB_OUTPUT: output,
        GITHUB_RUN_ID: "4242",
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_SHA: "f".repeat(40),
        EVENT_NAME: "workflow_dispatch",
        PR_NUMBER: "",
        HEAD_SHA: "",
        PARAMS: "{}",
        CORRELATION_ID: "",
        TRIGGER: "comment",
        ...env,
      },
      encoding: "utf8",
    });
    const outputs = Object.fromEntries(
      (await readFile(output, "utf8"))
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return { status: r.status, stdout: r.stdout, outputs };
  }

  it("passes a dispatch from the App through", async () => {
    const r = await runCheck({
      PR_NUMBER: "17",
      HEAD_SHA: "a".repeat(40),
      CORRELATION_ID: "ms-7f3a9c",
      PARAMS: '{"epochs":20}',
    });
    expect(r.status).toBe(0);
    expect(r.outputs["correlation_id"]).toBe("ms-7f3a9c");
    expect(r.outputs["pr_number"]).toBe("17");
    expect(r.outputs["checkpoint_prefix"]).toMatch(
      new RegExp(`^modelship-checkpoint-churn-pr-17-${"a".repeat(40)}-[0-9a-f]{16}-$`),
    );
  });

  it("names a scheduled run itself", async () => {
    const r = await runCheck({ EVENT_NAME: "schedule", TRIGGER: "" });
    expect(r.status).toBe(0);
    expect(r.outputs["correlation_id"]).toBe(`sched-${"f".repeat(40)}-4242`);
    expect(r.outputs["checkpoint_prefix"]).toMatch(
      /^modelship-checkpoint-churn-run-4242-f{40}-[0-9a-f]{16}-$/,
    );
  });

  // The contract with the App: the run's title (what `workflow_run.display_title` carries) and the
  // id the step hands to the artifact name are the same, and the App reads them as retraining.
  it.each([
    {
      what: "a cron run",
      github: { event_name: "schedule" },
      inputs: {},
      env: { EVENT_NAME: "schedule", TRIGGER: "" },
      kind: "sched",
      sha: "f".repeat(40),
    },
    {
      what: "a drift job's dispatch",
      github: { event_name: "workflow_dispatch" },
      inputs: { trigger: "drift", correlation_id: "", head_sha: "" },
      env: { TRIGGER: "drift" },
      kind: "drift",
      sha: "f".repeat(40),
    },
    {
      what: "a manual dispatch of one commit",
      github: { event_name: "workflow_dispatch" },
      inputs: { trigger: "comment", correlation_id: "", head_sha: "c".repeat(40) },
      env: { HEAD_SHA: "c".repeat(40) },
      kind: "manual",
      sha: "c".repeat(40),
    },
  ])("titles $what with the id its artifact carries", async ({ github, inputs, env, kind, sha }) => {
    const wf = find("local, GPU labels", ".github/workflows/modelship-train.yml");
    const title = renderRunName(wf["run-name"]!, {
      github: { ...github, sha: "f".repeat(40), run_id: "4242" },
      inputs,
    });
    const r = await runCheck(env);
    expect(r.status).toBe(0);
    expect(title).toBe(`modelship train ${r.outputs["correlation_id"]}`);
    expect(correlationFromRunName(title)).toMatchObject({ pr: null, kind, headSha: sha });
  });

  it("titles an App dispatch with the App's own id", () => {
    const wf = find("local, GPU labels", ".github/workflows/modelship-train.yml");
    const id = `pr7-${"a".repeat(40)}-c1234`;
    const title = renderRunName(wf["run-name"]!, {
      github: { event_name: "workflow_dispatch", sha: "f".repeat(40), run_id: "4242" },
      inputs: { correlation_id: id, trigger: "comment" },
    });
    expect(correlationFromRunName(title)).toMatchObject({ id, pr: 7, kind: "pr" });
  });

  it("keys checkpoints by params: other params, other prefix", async () => {
    const a = await runCheck({ PR_NUMBER: "3", PARAMS: '{"epochs":20}' });
    const b = await runCheck({ PR_NUMBER: "3", PARAMS: '{"epochs":30}' });
    expect(a.outputs["checkpoint_prefix"]).not.toBe(b.outputs["checkpoint_prefix"]);
  });

  it.each([
    ["pr_number", { PR_NUMBER: "1; touch /tmp/pwned" }],
    ["pr_number", { PR_NUMBER: "0" }],
    ["head_sha", { HEAD_SHA: "main" }],
    ["head_sha", { HEAD_SHA: "$(id)" }],
    ["correlation_id", { CORRELATION_ID: "x\necho pwned" }],
    ["correlation_id", { CORRELATION_ID: "a/../../b" }],
    ["trigger", { TRIGGER: "deploy" }],
    ["trigger", { TRIGGER: "drift; id" }],
    ["params", { PARAMS: "x".repeat(5000) }],
  ])("refuses a hostile %s", async (name, env) => {
    const r = await runCheck(env);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`::error title=modelship::${name}`));
    expect(r.outputs).toEqual({});
  });
});

describe("modelship-deploy.yml", () => {
  const path = ".github/workflows/modelship-deploy.yml";

  it.each([
    ["local, GPU labels", ["self-hosted", "modelship-serve"], false],
    ["kubernetes, built-in labels only", ["ubuntu-latest"], true],
    ["local, labels that look like YAML scalars", ["self-hosted", "serve-eu"], false],
  ])("runs on deployment events, one per environment, never cancelled (%s)", (sample, labels, kube) => {
    const wf = find(sample, path);
    if (kube) {
      expect(wf.on).toBe("deployment");
      expect(wf.concurrency.group).toContain("${{ github.event.deployment.environment }}");
    } else {
      expect(Object.keys(wf.on as Record<string, unknown>)).toEqual(["deployment", "workflow_dispatch"]);
      expect(wf.concurrency.group).toContain(
        "${{ github.event.deployment.environment || inputs.environment }}",
      );
    }
    expect(wf.concurrency["cancel-in-progress"]).toBe(false);
    const deploy = wf.jobs["deploy"]!;
    expect(deploy.permissions).toEqual({
      contents: "write",
      deployments: "write",
      ...(kube ? {} : { "pull-requests": "write" }),
    });
    expect(deploy["runs-on"]).toEqual(labels);
    // A GitHub environment: its protection rules and required reviewers gate every deploy.
    expect(deploy.environment).toBe("${{ github.event.deployment.environment }}");
    expect(deploy.steps.at(-1)?.with).toMatchObject({ command: "deploy" });
    expect(
      deploy.steps.some((s) => s.env?.["KUBECONFIG_DATA"] === "${{ secrets.MODELSHIP_KUBECONFIG }}"),
    ).toBe(kube);
  });

  it("answers the App's /ab-report dispatch on the serving host, with no environment and read-only contents", () => {
    const wf = find("local, GPU labels", path);
    const inputs = (wf.on as { workflow_dispatch: { inputs: Record<string, { required: boolean }> } })
      .workflow_dispatch.inputs;
    expect(Object.keys(inputs)).toEqual(["environment", "pr_number"]);
    expect(wf.jobs["deploy"]!.if).toContain("github.event_name == 'deployment'");
    const report = wf.jobs["ab-report"]!;
    expect(report.if).toBe("github.event_name == 'workflow_dispatch'");
    expect(report["runs-on"]).toEqual(wf.jobs["deploy"]!["runs-on"]);
    expect(report.environment).toBeUndefined();
    expect(report.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(report.steps.at(-1)?.with).toMatchObject({
      command: "ab-report",
      environment: "${{ inputs.environment }}",
    });
  });
});

describe("modelship-sweep.yml", () => {
  it("plans the study's next trials, trains them as a matrix on the GPU runners, then tells the study", () => {
    const wf = find("local, GPU labels", ".github/workflows/modelship-sweep.yml");
    expect(Object.keys(wf.jobs)).toEqual(["plan", "trial", "tell"]);
    expect(wf.jobs["plan"]!.steps.at(-1)?.with).toMatchObject({
      command: "sweep-plan",
      study: "${{ inputs.study }}",
    });
    const trial = wf.jobs["trial"]!;
    expect(trial["runs-on"]).toEqual(["self-hosted", "gpu"]);
    expect(trial.strategy?.matrix).toEqual({ trial: "${{ fromJSON(needs.plan.outputs.trials) }}" });
    expect(trial.steps.find((s) => s.uses === "acme/modelship@v1")?.with).toMatchObject({
      command: "train",
      params: "${{ toJSON(matrix.trial.params) }}",
    });
    const tell = wf.jobs["tell"]!;
    expect(tell.needs).toEqual(["plan", "trial"]);
    // Failed trials are told too (as failed); a failed plan planned nothing to tell.
    expect(tell.if).toBe("${{ !cancelled() && needs.plan.result == 'success' }}");
    expect(tell.steps.at(-1)?.with).toMatchObject({
      command: "sweep-tell",
      study: "${{ inputs.study }}",
      pr: "${{ inputs.pr }}",
    });
    // The study lives on the modelship-studies branch: plan and tell write it; only tell comments.
    expect(wf.jobs["plan"]!.permissions).toEqual({ contents: "write" });
    expect(tell.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(trial.permissions).toEqual({ contents: "read" });
    // One run per study at a time: tell marks trials left running as failed.
    expect(wf.concurrency.group).toContain("${{ inputs.study }}");
  });
});
