import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_INPUTS, ACTION_OUTPUTS, parseActionInputs } from "../../action/inputs.ts";
import { validateCommand } from "../../core/commands/validate-command.ts";
import { parseConfig } from "../../core/config/parse-config.ts";
import { createWorkspace } from "./action-workspace.ts";
import { classifierModel } from "../fixtures/onnx/make-models.ts";
import { CLI_ENTRY, REPO_ROOT, runAction } from "./run-action.ts";
import { STUDIES_BRANCH } from "../../adapters/studies/branch-study-store.ts";
import { trialId as trialIdOf } from "../../core/sweep/record-trial-result.ts";
import type { Study } from "../../core/sweep/study.ts";
import type { PruningCurves } from "../../core/sweep/matrix-pruning.ts";
import { hyperbandBracket } from "../../core/sweep/prune-trial.ts";
import { suggestTrial } from "../../core/sweep/suggest-trial.ts";
import { addPull, ensureRepo, startFakeGitHub, type FakeGitHub } from "../support/fake-github/fake-github.ts";
import { penguinsSweepConfig } from "../support/penguins-sweep-config.ts";

const SWEEP_CONFIG = `model:
  name: iris
  task: classification
  target: species
metrics:
  primary: accuracy
  gates:
    accuracy: { required: true, min: 0.9 }
train:
  search:
    learningRate: { min: 0.0001, max: 0.1, log: true }
    epochs: { min: 5, max: 80, integer: true }
    optimizer: { values: [adam, sgd] }
`;

type Step = { id?: string; uses?: string; with?: Record<string, string> };
type Workflow = {
  on: { workflow_dispatch: { inputs: Record<string, { default?: unknown }> } };
  jobs: Record<
    string,
    {
      outputs?: Record<string, string>;
      strategy?: { matrix?: Record<string, string> };
      steps: Step[];
    }
  >;
};

const PENGUINS = join(REPO_ROOT, "examples", "penguins", "data", "penguins.json");

/** Searching two learning rates: a good one and a hopeless one. */
const PENGUINS_CONFIG = penguinsSweepConfig("    learningRate: { values: [0.05, 0.000001] }", "val_loss");

const GRID_STUDY: Study = {
  schemaVersion: 1,
  name: "",
  sampler: "grid",
  pruner: "hyperband",
  seed: 1,
  gridPoints: 3,
  objective: {
    metric: "val_loss",
    direction: "minimize",
    intermediate: { metric: "val_loss", direction: "minimize" },
  },
  maxEpochs: 4,
  space: { learningRate: { values: [0.05, 0.000001] } },
  trials: [],
};

const CURVES: PruningCurves = {
  schemaVersion: 1,
  study: "iris",
  pruner: "median",
  objective: GRID_STUDY.objective,
  maxEpochs: 4,
  trials: [],
  omitted: 0,
};

const TEMPLATE = join(REPO_ROOT, "templates", "workflows", "modelship-sweep.yml");
let workflow: Workflow;

beforeAll(async () => {
  // As `modelship init` renders it for a model named iris.
  const text = (await readFile(TEMPLATE, "utf8"))
    .replaceAll("__MODEL_NAME__", "iris")
    .replaceAll("__ARTIFACT_NAME__", "modelship-run");
  workflow = parse(text) as Workflow;
});

const isModelship = (s: Step) => s.uses !== undefined && /(^|\/)modelship@/.test(s.uses);

/** The `with:` of the template's Modelship step running `command`. */
function stepWith(command: string): Record<string, string> {
  const step = Object.values(workflow.jobs)
    .flatMap((j) => j.steps)
    .find((s) => isModelship(s) && s.with?.["command"] === command);
  if (!step?.with) throw new Error(`the sweep template has no step with command: ${command}`);
  return step.with;
}

type PlannedTrial = { id: string; number?: number; params: Record<string, unknown> };
type PlanOutputs = Record<string, string>;

/**
 * Fills the expressions the template's Modelship steps use as the runner would: `inputs.X` (the
 * dispatch defaults), `runner.temp`, `github.run_id`/`run_attempt`, `matrix.trial.*`. Anything
 * else throws, so a new expression in the template is noticed here.
 */
function evaluate(
  withs: Record<string, string>,
  runnerTemp: string,
  trial?: PlannedTrial,
  plan?: PlanOutputs,
): Record<string, string> {
  const inputs = workflow.on.workflow_dispatch.inputs;
  const value = (expr: string): string => {
    const input = /^inputs\.([a-z_]+)$/.exec(expr);
    if (input) return String(inputs[input[1]!]?.default);
    if (expr === "runner.temp") return runnerTemp;
    if (expr === "github.run_id") return "7011";
    if (expr === "github.run_attempt") return "1";
    if (trial && expr === "matrix.trial.id") return trial.id;
    if (trial && expr === "toJSON(matrix.trial.params)") return JSON.stringify(trial.params, null, 2);
    if (trial && expr === "matrix.trial.number") return String(trial.number ?? "");
    const output = /^needs\.plan\.outputs\.([a-z-]+)$/.exec(expr);
    if (plan && output) return plan[output[1]!] ?? "";
    throw new Error(`the test cannot evaluate \${{ ${expr} }}`);
  };
  return Object.fromEntries(
    Object.entries(withs).map(([k, v]) => [
      k,
      v.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, e: string) => value(e)),
    ]),
  );
}

/** A finished trial as the `best` job downloads it: `<path>/<artifact name>/run.json`, ... */
async function writeTrial(
  root: string,
  folder: string,
  params: Record<string, unknown>,
  metrics: Record<string, number> | null,
): Promise<void> {
  const dir = join(root, folder);
  await cp(join(REPO_ROOT, "test", "fixtures", "runs", "iris-candidate"), dir, { recursive: true });
  await writeFile(join(dir, "params.json"), JSON.stringify({ ...params, seed: 42, batchSize: 16 }));
  if (metrics === null) await rm(join(dir, "metrics.json"));
  else await writeFile(join(dir, "metrics.json"), JSON.stringify(metrics));
}

// A deterministic stand-in for training: accuracy peaks at learningRate 0.01.
const accuracyOf = (p: Record<string, unknown>) =>
  Number((0.99 - Math.abs(Math.log10(Number(p["learningRate"])) + 2) / 10).toFixed(4));

describe("the sweep template uses the Action as the registry declares it", () => {
  it("passes only declared inputs and reads only declared outputs of the Modelship steps", () => {
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps.filter(isModelship));
    expect(steps.map((s) => s.with?.["command"])).toEqual(["sweep-plan", "train", "sweep-tell"]);
    // Every expression they pass can be evaluated (see evaluate()).
    const trial = { id: "t01", number: 1, params: {} };
    for (const step of steps) expect(() => evaluate(step.with ?? {}, "/tmp", trial, {})).not.toThrow();
    for (const step of steps) {
      for (const key of Object.keys(step.with ?? {})) expect(Object.keys(ACTION_INPUTS), key).toContain(key);
    }
    const ids = new Set(steps.map((s) => s.id).filter((id) => id !== undefined));
    const text = JSON.stringify(workflow);
    const read = [...text.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)];
    expect(read.length).toBeGreaterThan(0);
    for (const [, id, output] of read) {
      expect(ids, `steps.${id} is a Modelship step`).toContain(id);
      expect(Object.keys(ACTION_OUTPUTS), output).toContain(output);
    }
    expect(workflow.jobs["plan"]?.outputs).toEqual({
      trials: "${{ steps.plan.outputs.trials }}",
      pruning: "${{ steps.plan.outputs.pruning }}",
    });
    expect(workflow.jobs["trial"]?.strategy?.matrix).toEqual({
      trial: "${{ fromJSON(needs.plan.outputs.trials) }}",
    });
  });

  it("the template's dispatch defaults are valid inputs of sweep-plan and sweep-tell", () => {
    const given = evaluate(stepWith("sweep-plan"), "/tmp");
    expect(given).toMatchObject({ study: "iris", trials: "8", sampler: "", pruner: "", seed: "" });
    const parsed = parseActionInputs((name) => given[name] ?? "");
    expect(parsed).toMatchObject({ command: "sweep-plan", study: "iris", trials: 8 });
    // Left empty, a stored study keeps its own settings (and a new one takes tpe, median, seed 1).
    expect([parsed.sampler, parsed.pruner, parsed.seed]).toEqual([undefined, undefined, undefined]);
    const tell = evaluate(stepWith("sweep-tell"), "/tmp");
    expect(parseActionInputs((name) => tell[name] ?? "")).toMatchObject({
      command: "sweep-tell",
      study: "iris",
      "run-dir": "/tmp/trials",
    });
    expect(parseActionInputs((name) => tell[name] ?? "").pr).toBeUndefined();
  });
});

describe("command: sweep-plan", () => {
  it("returns the trial matrix the trial job fans out over, each trial's params valid for train", async () => {
    const ws = await createWorkspace({ config: SWEEP_CONFIG });
    const run = await runAction({ workspace: ws, inputs: { command: "sweep-plan" } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ decision: "pass", "reason-code": "sweep-planned" });
    const trials = JSON.parse(run.outputs["trials"] ?? "") as {
      id: string;
      params: Record<string, unknown>;
    }[];
    // fromJSON gives an array of objects: matrix.trial.id and matrix.trial.params.
    expect(Array.isArray(trials)).toBe(true);
    expect(trials.map((t) => t.id)).toEqual(["t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08"]);
    expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(8);
    const config = parseConfig(SWEEP_CONFIG, "modelship.yml");
    if (!config.ok) throw new Error("fixture config is invalid");
    for (const t of trials) {
      expect(Object.keys(t.params).sort()).toEqual(["epochs", "learningRate", "optimizer"]);
      // What the trial's train step receives: `params: ${{ toJSON(matrix.trial.params) }}`.
      const inputs = parseActionInputs(
        (name) => ({ command: "train", params: JSON.stringify(t.params, null, 2) })[name] ?? "",
      );
      const named = Object.entries(inputs.params ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
      const checked = validateCommand({ name: "train", positional: [], named }, config.config);
      expect(checked.ok, `${t.id}: ${JSON.stringify(t.params)}`).toBe(true);
    }
    expect(run.summary).toContain("## Modelship · sweep-plan");
    expect(run.summary).toContain("8 trials (random, seed 1) over `epochs`, `learningRate`, `optimizer`");
    expect(run.summary).toContain("| Trial | epochs | learningRate | optimizer |");
    for (const t of trials) expect(run.summary).toContain(`| \`${t.id}\` | ${t.params["epochs"]} |`);

    // The same seed plans the same trials.
    const again = await runAction({ workspace: ws, inputs: { command: "sweep-plan" } });
    expect(again.outputs["trials"]).toBe(run.outputs["trials"]);
  });

  it("walks the grid and stops at its size", async () => {
    const ws = await createWorkspace({
      config: `model: { name: iris, task: classification }\ntrain:\n  search:\n    optimizer: { values: [adam, sgd] }\n    epochs: { min: 10, max: 12, integer: true }\n`,
    });
    const run = await runAction({
      workspace: ws,
      inputs: { command: "sweep-plan", trials: "50", sampler: "grid" },
    });
    expect(run.code, run.stderr).toBe(0);
    const trials = JSON.parse(run.outputs["trials"] ?? "") as { id: string; params: unknown }[];
    expect(trials).toHaveLength(6);
    expect(trials[0]).toEqual({ id: "t01", params: { epochs: 10, optimizer: "adam" } });
    expect(trials[5]).toEqual({ id: "t06", params: { epochs: 12, optimizer: "sgd" } });
    expect(run.summary).toContain("6 trials (grid of 6 points)");
  });

  it.each([
    [
      "an empty train.search",
      "model: { name: iris, task: classification }\n",
      {},
      "sweep-empty-search-space",
      "train.search is empty",
    ],
    [
      "more trials than a matrix holds",
      SWEEP_CONFIG,
      { trials: "257" },
      "sweep-too-many-trials",
      "at most 256",
    ],
    ["zero trials", SWEEP_CONFIG, { trials: "0" }, "sweep-invalid-trial-count", "positive integer"],
    ["an unknown sampler", SWEEP_CONFIG, { sampler: "bayes" }, "input-invalid", "input 'sampler'"],
    [
      "a trial count that is not a number",
      SWEEP_CONFIG,
      { trials: "8; rm" },
      "input-invalid",
      "input 'trials'",
    ],
  ])("refuses %s with a clear error and no matrix", async (_what, config, given, code, message) => {
    const ws = await createWorkspace({ config });
    const run = await runAction({ workspace: ws, inputs: { command: "sweep-plan", ...given } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": code });
    expect(run.outputs["trials"]).toBeUndefined();
    expect(run.errors.map((e) => e.message).join("\n")).toContain(message);
    expect(run.summary).toContain(code);
    if (code === "sweep-empty-search-space") {
      expect(run.errors[0]?.props["file"]).toBe(".github/modelship.yml");
      expect(run.errors[0]?.message).toContain("train.search");
    }
  });
});

// A training program in the shape `train.command` expects: accuracy peaks at learningRate 0.01.
const TRAIN_SCRIPT = `
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const out = process.env.MODELSHIP_OUTPUT_DIR;
const p = JSON.parse(process.env.MODELSHIP_PARAMS);
const accuracy = Number((0.99 - Math.abs(Math.log10(p.learningRate) + 2) / 10).toFixed(4));
writeFileSync(join(out, "metrics.json"), JSON.stringify({ accuracy, loss: 1 - accuracy }));
copyFileSync("model.onnx", join(out, "model.onnx"));
`;

describe("the sweep workflow, job by job, on the study branch of a fake GitHub", () => {
  let fake: FakeGitHub;
  const temps: string[] = [];
  beforeAll(async () => {
    fake = await startFakeGitHub();
    const repo = ensureRepo(fake.state, "Codertocat", "Hello-World");
    addPull(fake.state, repo, { number: 7 });
  });
  afterAll(async () => {
    await fake.close();
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => expect(fake.invalid).toEqual([]));

  const studyOnBranch = (name = "iris"): Study => {
    const repo = fake.repo("Codertocat", "Hello-World");
    const head = repo.refs[`refs/heads/${STUDIES_BRANCH}`]!;
    const tree = repo.trees[repo.commits[head]!.tree]!;
    const file = tree.find((e) => e.path === `.modelship/studies/${name}/study.json`);
    return JSON.parse(file!.content) as Study;
  };

  it("plan stores the study, each trial trains its params, tell records them and posts the table", async () => {
    const ws = await createWorkspace({ config: `${SWEEP_CONFIG}  command: node train.mjs\n` });
    await writeFile(join(ws, "train.mjs"), TRAIN_SCRIPT);
    await writeFile(join(ws, "model.onnx"), classifierModel());
    const runnerTemp = await mkdtemp(join(tmpdir(), "modelship-runner-temp-"));
    temps.push(ws, runnerTemp);
    const gh = { apiUrl: fake.url, env: { INPUT_GITHUB_TOKEN: "" } };
    const token = { "github-token": "ghs_workflowtoken" };

    // First run of the workflow: 3 trials, the study is created with tpe and median.
    const plan = await runAction({
      workspace: ws,
      inputs: { ...evaluate(stepWith("sweep-plan"), runnerTemp), trials: "3", ...token },
      ...gh,
    });
    expect(plan.code, plan.stderr + plan.stdout).toBe(0);
    expect(plan.outputs).toMatchObject({ decision: "pass", "reason-code": "sweep-planned" });
    const trials = JSON.parse(plan.outputs["trials"] ?? "") as PlannedTrial[];
    expect(trials.map((t) => t.id)).toEqual(["t000", "t001", "t002"]);
    let study = studyOnBranch();
    expect(study).toMatchObject({ name: "iris", sampler: "tpe", pruner: "median", seed: 1 });
    expect(study.trials.map((t) => t.state)).toEqual(["running", "running", "running"]);
    expect(plan.summary).toContain("3 trial(s) planned in new study iris (tpe)");

    const downloaded = join(runnerTemp, "trials");
    // The third trial's job fails before uploading: its artifact never comes back.
    for (const trial of trials.slice(0, 2)) {
      const train = await runAction({
        workspace: ws,
        inputs: evaluate(stepWith("train"), runnerTemp, trial, plan.outputs),
        env: { MODELSHIP_CLI: CLI_ENTRY },
        timeoutMs: 120_000,
      });
      expect(train.code, train.stderr + train.stdout).toBe(0);
      const runDir = train.outputs["run-dir"]!;
      expect(runDir).toBe(`.modelship/runs/sweep-7011-1-${trial.id}`);
      await cp(join(ws, runDir), join(downloaded, `modelship-run-sweep-7011-${trial.id}`), {
        recursive: true,
      });
    }

    const tellWith = { ...evaluate(stepWith("sweep-tell"), runnerTemp), pr: "7", ...token };
    const tell = await runAction({ workspace: ws, inputs: tellWith, ...gh });
    expect(tell.code, tell.stderr + tell.stdout).toBe(0);
    const best = [...trials.slice(0, 2)].sort((a, b) => accuracyOf(b.params) - accuracyOf(a.params))[0]!;
    expect(tell.outputs).toMatchObject({ decision: "pass", "reason-code": "study-told", trial: best.id });
    expect(JSON.parse(tell.outputs["params"] ?? "")).toEqual(best.params);
    study = studyOnBranch();
    expect(study.trials.map((t) => t.state)).toEqual(["complete", "complete", "failed"]);
    expect(study.trials[2]?.failure?.code).toBe("trial-not-reported");
    for (const t of study.trials.slice(0, 2)) expect(t.value).toBe(accuracyOf(t.params));
    const summary = JSON.parse(tell.outputs["study"] ?? "") as { best: { trial: number } };
    expect(trialIdOf(summary.best.trial)).toBe(best.id);
    expect(tell.summary).toContain("recorded 2 trial run(s), 1 trial(s) without a run marked failed");
    expect(tell.summary).toContain("| # | state | accuracy | epochs | epochs | learningRate | optimizer |");

    const comments = () => fake.repo("Codertocat", "Hello-World").comments.filter((c) => c.issueNumber === 7);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.body).toContain("<!-- modelship:study iris -->");
    expect(comments()[0]?.body).toContain(
      "Study **iris** (tpe, pruner median): 2 complete, 0 pruned, 1 failed.",
    );

    // The next run of the workflow continues the same study: numbers go on, the comment is edited.
    const next = await runAction({
      workspace: ws,
      inputs: { ...evaluate(stepWith("sweep-plan"), runnerTemp), trials: "2", ...token },
      ...gh,
    });
    expect(next.code, next.stderr).toBe(0);
    expect((JSON.parse(next.outputs["trials"] ?? "") as PlannedTrial[]).map((t) => t.id)).toEqual([
      "t003",
      "t004",
    ]);
    await rm(downloaded, { recursive: true, force: true });
    const again = await runAction({ workspace: ws, inputs: tellWith, ...gh });
    expect(again.code).toBe(0);
    expect(studyOnBranch().trials.map((t) => t.state)).toEqual([
      "complete",
      "complete",
      "failed",
      "failed",
      "failed",
    ]);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.body).toContain("2 complete, 0 pruned, 3 failed");

    // Other settings for the stored study are refused, and the study is left as it was.
    const differs = await runAction({
      workspace: ws,
      inputs: { ...evaluate(stepWith("sweep-plan"), runnerTemp), sampler: "random", ...token },
      ...gh,
    });
    expect(differs.code).toBe(1);
    expect(differs.outputs).toMatchObject({ decision: "error", "reason-code": "study-settings-differ" });
    expect(studyOnBranch().trials).toHaveLength(5);
  }, 300_000);

  it("a trial that the curves of earlier trials do not promote stops early and is told as pruned", async () => {
    const ws = await createWorkspace({ config: PENGUINS_CONFIG });
    await mkdir(join(ws, "data"));
    await cp(PENGUINS, join(ws, "data", "penguins.json"));
    const runnerTemp = await mkdtemp(join(tmpdir(), "modelship-runner-temp-"));
    temps.push(ws, runnerTemp);
    const gh = { apiUrl: fake.url, env: { INPUT_GITHUB_TOKEN: "" } };
    const token = { "github-token": "ghs_workflowtoken" };
    // A study whose first two trials share Hyperband's bracket 0 (4 epochs: rungs at 1 and 3), and
    // a seed whose grid gives the good rate first: the second trial must stop at epoch 1.
    const hb = { minResource: 1, reductionFactor: 3 };
    const name = Array.from({ length: 50 }, (_, i) => `hb${i}`).find((n) =>
      [0, 1].every((t) => hyperbandBracket(n, t, 4, hb) === 0),
    )!;
    const seed = [1, 2, 3, 4, 5, 6, 7, 8].find((s) => {
      const study = { ...GRID_STUDY, name, seed: s };
      const first = suggestTrial(study, { number: 0 });
      return first.ok && first.params["learningRate"] === 0.05;
    })!;
    const planInputs = {
      ...evaluate(stepWith("sweep-plan"), runnerTemp),
      study: name,
      trials: "1",
      ...token,
    };
    const downloaded = join(runnerTemp, "trials");
    const tellWith = { ...evaluate(stepWith("sweep-tell"), runnerTemp), study: name, pr: "7", ...token };

    /** One run of the workflow with one trial: plan, train (as the matrix job would), tell. */
    const workflowRun = async (settings: Record<string, string>) => {
      const plan = await runAction({ workspace: ws, inputs: { ...planInputs, ...settings }, ...gh });
      expect(plan.code, plan.stderr + plan.stdout).toBe(0);
      const [trial] = JSON.parse(plan.outputs["trials"] ?? "") as PlannedTrial[];
      const train = await runAction({
        workspace: ws,
        inputs: evaluate(stepWith("train"), runnerTemp, trial, plan.outputs),
        env: { MODELSHIP_CLI: CLI_ENTRY },
        timeoutMs: 180_000,
      });
      expect(train.code, train.stderr + train.stdout).toBe(0);
      const runDir = train.outputs["run-dir"]!;
      await rm(downloaded, { recursive: true, force: true });
      await cp(join(ws, runDir), join(downloaded, `modelship-run-sweep-${trial!.id}`), { recursive: true });
      const tell = await runAction({ workspace: ws, inputs: tellWith, ...gh });
      expect(tell.code, tell.stderr + tell.stdout).toBe(0);
      const record = JSON.parse(await readFile(join(ws, runDir, "run.json"), "utf8")) as {
        training: { epochs: number; prunedAtEpoch?: number };
      };
      return { plan, trial: trial!, train, record };
    };

    const first = await workflowRun({ sampler: "grid", pruner: "hyperband", seed: String(seed) });
    expect(first.trial).toEqual({ id: "t000", number: 0, params: { learningRate: 0.05 } });
    const noCurves = JSON.parse(first.plan.outputs["pruning"] ?? "") as PruningCurves;
    expect(noCurves).toMatchObject({
      study: name,
      pruner: "hyperband",
      maxEpochs: 4,
      trials: [],
      omitted: 0,
    });
    expect(first.plan.summary).toContain(
      "hyperband pruner at every epoch against the curves of 0 finished trial(s)",
    );
    expect(first.record.training.epochs).toBe(4);
    expect(first.record.training.prunedAtEpoch).toBeUndefined();

    // The next run's plan hands the trial the first trial's curve; it is worse at the rung.
    const second = await workflowRun({});
    expect(second.trial).toEqual({ id: "t001", number: 1, params: { learningRate: 0.000001 } });
    const curves = JSON.parse(second.plan.outputs["pruning"] ?? "") as PruningCurves;
    expect(curves.trials.map((t) => [t.number, t.state, t.intermediate.length])).toEqual([
      [0, "complete", 4],
    ]);
    expect(second.record.training).toMatchObject({ epochs: 1, prunedAtEpoch: 1 });
    expect(second.train.summary).toContain("**✂️ Pruned** at epoch 1 by the study's hyperband pruner");

    const study = studyOnBranch(name);
    expect(study.trials.map((t) => [t.state, t.epochs])).toEqual([
      ["complete", 4],
      ["pruned", 1],
    ]);

    // Both grid points have a trial: the next plan says so and leaves the branch as it was.
    const repo = fake.repo("Codertocat", "Hello-World");
    const head = repo.refs[`refs/heads/${STUDIES_BRANCH}`];
    const done = await runAction({ workspace: ws, inputs: planInputs, ...gh });
    expect(done.code).toBe(1);
    expect(done.outputs).toMatchObject({ decision: "fail", "reason-code": "sweep-grid-exhausted" });
    expect(done.summary).toContain("the grid is used up, no trial planned");
    expect(repo.refs[`refs/heads/${STUDIES_BRANCH}`]).toBe(head);
  }, 400_000);

  it.each([
    [{ command: "sweep-tell", "run-dir": "trials" }, "input-invalid", "input 'study'"],
    [
      { command: "sweep-tell", study: "nothing-here", "run-dir": "trials" },
      "study-missing",
      "no study nothing-here",
    ],
    [{ command: "sweep-plan", study: "../up" }, "input-invalid", "input 'study'"],
    [{ command: "sweep-plan", sampler: "tpe" }, "input-invalid", "needs a stored study"],
    [
      { command: "train", pruning: "{", "trial-number": "1" },
      "input-invalid",
      "input 'pruning': not valid JSON",
    ],
    [
      { command: "train", pruning: '{"schemaVersion":1}', "trial-number": "1" },
      "input-invalid",
      "input 'pruning': not sweep-plan's curves",
    ],
    [
      { command: "train", pruning: JSON.stringify({ ...CURVES, trials: [] }) },
      "input-invalid",
      "needs `trial-number`",
    ],
  ])("refuses %j with %s", async (inputs, code, message) => {
    const ws = await createWorkspace({ config: SWEEP_CONFIG });
    temps.push(ws);
    const run = await runAction({
      workspace: ws,
      inputs: { ...inputs, "github-token": "ghs_workflowtoken" },
      apiUrl: fake.url,
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": code });
    expect(run.errors.map((e) => e.message).join("\n")).toContain(message);
  });
});

describe("command: sweep-best", () => {
  it("ranks the downloaded trials by metrics.primary and reports the best one", async () => {
    const ws = await createWorkspace({ config: SWEEP_CONFIG });
    const runnerTemp = await mkdtemp(join(tmpdir(), "modelship-runner-temp-"));
    const withs = { command: "sweep-best", "run-dir": join(runnerTemp, "trials") };
    const plan = await runAction({ workspace: ws, inputs: { command: "sweep-plan" } });
    const trials = JSON.parse(plan.outputs["trials"] ?? "") as {
      id: string;
      params: Record<string, unknown>;
    }[];
    // download-artifact with `pattern:` puts each artifact in <path>/<artifact name>/.
    const root = withs["run-dir"]!;
    for (const t of trials) {
      await writeTrial(root, `modelship-run-sweep-7011-${t.id}`, t.params, {
        accuracy: accuracyOf(t.params),
        loss: 0.1,
      });
    }
    const expected = [...trials].sort(
      (a, b) => accuracyOf(b.params) - accuracyOf(a.params) || a.id.localeCompare(b.id),
    );
    const best = expected[0]!;

    const run = await runAction({ workspace: ws, inputs: withs });
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({
      decision: "pass",
      "reason-code": "best-trial-picked",
      trial: best.id,
      "run-dir": join(root, `modelship-run-sweep-7011-${best.id}`),
    });
    expect(JSON.parse(run.outputs["metrics"] ?? "")).toEqual({
      accuracy: accuracyOf(best.params),
      loss: 0.1,
    });
    expect(JSON.parse(run.outputs["params"] ?? "")).toEqual(best.params);
    expect(run.summary).toContain(`**✅ Best trial: \`${best.id}\`** of 8 — accuracy`);
    expect(run.summary).toContain("(higher is better)");
    expect(run.summary).toContain(
      "| # | Trial | accuracy | epochs | learningRate | optimizer | Run directory |",
    );
    // Every trial, best first, in ranking order.
    const order = [...run.summary.matchAll(/^\| (\d+) \| (?:\*\*)?`(t\d+)`/gm)].map((m) => [
      Number(m[1]),
      m[2],
    ]);
    expect(order).toEqual(expected.map((t, i) => [i + 1, t.id]));
  });

  it("ranks a minimised primary metric lowest first, and lists trials it could not read", async () => {
    const ws = await createWorkspace({
      config: SWEEP_CONFIG.replace("primary: accuracy", "primary: val_loss"),
    });
    const root = join(ws, "trials");
    await writeTrial(root, "modelship-run-sweep-7011-t01", { learningRate: 0.01 }, { val_loss: 0.3 });
    await writeTrial(root, "modelship-run-sweep-7011-t02", { learningRate: 0.02 }, { val_loss: 0.2 });
    await writeTrial(root, "modelship-run-sweep-7011-t03", { learningRate: 0.05 }, { accuracy: 0.9 });
    await mkdir(join(root, "modelship-run-sweep-7011-t04"));
    await writeFile(join(root, "modelship-run-sweep-7011-t04", "metrics.json"), "{}");
    const run = await runAction({ workspace: ws, inputs: { command: "sweep-best", "run-dir": "trials" } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({
      decision: "pass",
      trial: "t02",
      "run-dir": "trials/modelship-run-sweep-7011-t02",
    });
    expect(run.summary).toContain("(lower is better)");
    const order = [...run.summary.matchAll(/^\| \d+ \| (?:\*\*)?`(t\d+)`/gm)].map((m) => m[1]);
    expect(order).toEqual(["t02", "t01", "t03"]);
    expect(run.summary).toMatch(/Not ranked[^\n]*\n\n- `t04`: [^\n]*run\.json[^\n]*\(`run-record-missing`\)/);
  });

  it.each([
    ["no trial reports the metric", "fail", "sweep-metric-missing", true],
    ["no trial finished", "error", "sweep-no-trials", false],
  ])("stops when %s", async (_what, decision, code, withTrials) => {
    const ws = await createWorkspace({ config: SWEEP_CONFIG });
    const root = join(ws, "trials");
    await mkdir(root);
    if (withTrials) {
      await writeTrial(root, "modelship-run-sweep-7011-t01", { learningRate: 0.01 }, { loss: 0.3 });
      await writeTrial(root, "modelship-run-sweep-7011-t02", { learningRate: 0.02 }, { loss: 0.2 });
    }
    const run = await runAction({ workspace: ws, inputs: { command: "sweep-best", "run-dir": "trials" } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision, "reason-code": code });
    expect(run.outputs["trial"]).toBeUndefined();
    expect(run.outputs["run-dir"]).toBeUndefined();
    expect(run.summary).toContain(`No best trial** (\`${code}\`)`);
    expect(run.errors[0]?.props["title"]).toBe(`Modelship sweep-best: ${code}`);
  });

  it.each([
    ["run-dir is missing", SWEEP_CONFIG, {}, "input-invalid"],
    ["run-dir does not exist", SWEEP_CONFIG, { "run-dir": "nowhere" }, "run-dir-missing"],
    [
      "metrics.primary is not set",
      SWEEP_CONFIG.replace("  primary: accuracy\n", ""),
      { "run-dir": "runs" },
      "sweep-no-metric",
    ],
  ])("errors when %s", async (_what, config, given, code) => {
    const ws = await createWorkspace({ config });
    const run = await runAction({ workspace: ws, inputs: { command: "sweep-best", ...given } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ decision: "error", "reason-code": code });
  });
});
