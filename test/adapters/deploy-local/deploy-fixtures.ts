import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll } from "vitest";
import { ConfigSchema } from "../../../core/config/schema.ts";
import type { Config } from "../../../core/config/schema.ts";
import type { DeployRequest } from "../../../adapters/deploy-local/deployment-control.ts";
import { startLocalDeployment } from "../../../runners/router/start-local-deployment.ts";
import type {
  LocalDeployment,
  LocalDeploymentOptions,
} from "../../../runners/router/start-local-deployment.ts";
import {
  CLASSIFIER_WEIGHTS,
  classifierModel,
  linearClassifierModel,
  nanClassifierModel,
} from "../../fixtures/onnx/make-models.ts";

/** Real iris measurements, saved beside each model as training saves its validation rows. */
export const REFERENCE_ROWS = {
  rows: [
    { input: [5.1, 3.5, 1.4, 0.2] },
    { input: [6.4, 3.2, 4.5, 1.5] },
    { input: [6.3, 3.3, 6.0, 2.5] },
    { input: [4.9, 3.0, 1.4, 0.2] },
    { input: [5.8, 2.7, 5.1, 1.9] },
  ],
};

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/**
 * Loads and reports ready like the classifier (FP32 [batch,4]), but every inference fails:
 * it reshapes its input to [3,4], which a one-row request cannot fill.
 */
function failingInferenceModel(): Uint8Array {
  const io = (name: string, dims: Array<number | string>) => ({
    name,
    type: {
      tensorType: {
        elemType: T.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: "modelship-test-fixtures",
      opsetImport: [{ domain: "", version: 13 }],
      graph: {
        name: "failing",
        node: [{ opType: "Reshape", input: ["input", "shape"], output: ["probabilities"], name: "reshape" }],
        initializer: [{ name: "shape", dataType: T.INT64, dims: [2], int64Data: [3, 4] }],
        input: [io("input", ["batch", 4])],
        output: [io("probabilities", [3, 4])],
      },
    }),
  ).finish();
}

/** The versions a test deploys, each a model directory as a run stores it. */
export type DeployModels = {
  v1: DeployRequest;
  v2: DeployRequest;
  v3: DeployRequest;
  unloadable: DeployRequest;
  failingInference: DeployRequest;
  nanWeights: DeployRequest;
  disagreeing: DeployRequest;
};

/** Model directories as a run stores them (`<dir>/model.onnx`), one per version a test deploys. */
export async function writeDeployModels(root: string): Promise<DeployModels> {
  const write = async (dir: string, bytes: Uint8Array | string) => {
    await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, dir, "model.onnx"), bytes);
    await writeFile(join(root, dir, "reference-rows.json"), JSON.stringify(REFERENCE_ROWS));
    return join(root, dir);
  };
  const classifier = classifierModel();
  const { w, b } = CLASSIFIER_WEIGHTS;
  return {
    v1: { name: "iris", version: "1.0.0", modelDir: await write("v1", classifier) },
    v2: { name: "iris", version: "2.0.0", modelDir: await write("v2", classifier) },
    v3: { name: "iris", version: "3.0.0", modelDir: await write("v3", classifier) },
    unloadable: {
      name: "iris",
      version: "9.9.9-broken",
      modelDir: await write("broken", "this is not an ONNX model\n"),
    },
    failingInference: {
      name: "iris",
      version: "9.9.9-failing",
      modelDir: await write("failing", failingInferenceModel()),
    },
    nanWeights: { name: "iris", version: "9.9.9-nan", modelDir: await write("nan", nanClassifierModel()) },
    // Negated weights: every reference row gets the class the live version ranks last.
    disagreeing: {
      name: "iris",
      version: "9.9.9-disagreeing",
      modelDir: await write(
        "disagreeing",
        linearClassifierModel(
          w.map((row) => row.map((x) => -x)),
          b.map((x) => -x),
        ),
      ),
    },
  };
}

/** Deploy settings short enough for tests: 0.3 s scale-down delay, 0.6 s post-switch check. */
export function testDeployConfig(overrides: Partial<Config["deploy"]["analysis"]> = {}): Config["deploy"] {
  return ConfigSchema.parse({
    deploy: {
      health: { readyTimeoutSeconds: 20, intervalMs: 50 },
      analysis: {
        smokeRequests: 5,
        maxErrorRate: 0,
        maxLatencyP95Ms: 2_000,
        postSwitchSeconds: 0.6,
        ...overrides,
      },
      scaleDownDelaySeconds: 0.3,
    },
  }).deploy;
}

/**
 * For one test file (call it at the top level): a temporary folder holding the deploy models, and
 * `start` for local deployments in it (environment `<prefix>-N`, state in `<root>/state`, the
 * test deploy settings unless given). After the file's tests every started deployment is closed
 * and the folder removed.
 */
export function localDeployments(prefix: string) {
  const open: LocalDeployment[] = [];
  let started = 0;
  const fx = {
    root: "",
    models: {} as DeployModels,
    async start(opts: Partial<LocalDeploymentOptions> = {}) {
      const stateDir = join(fx.root, "state");
      const env = `${prefix}-${++started}`;
      const d = await startLocalDeployment({
        env,
        port: 0,
        stateDir,
        config: testDeployConfig(),
        admin: false,
        ...opts,
      });
      open.push(d);
      return { d, env, stateDir };
    },
  };
  beforeAll(async () => {
    fx.root = await mkdtemp(join(tmpdir(), `modelship-${prefix}-`));
    fx.models = await writeDeployModels(join(fx.root, "models"));
  });
  afterAll(async () => {
    for (const d of open.splice(0)) await d.close();
    await rm(fx.root, { recursive: true, force: true });
  });
  return fx;
}

/** A good iris request, answered 200 by every deploy model. */
export const GOOD_REQUEST = JSON.stringify({
  inputs: [{ name: "input", datatype: "FP32", shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }],
});

/**
 * Clients sending good requests back to back until the returned function is called; every answer
 * but a 200 is a failure. Also collects the versions that answered.
 */
export function goodLoad(url: string, clients: number) {
  const failures: string[] = [];
  const versions = new Set<string>();
  let ok = 0;
  let stop = false;
  const client = async () => {
    while (!stop) {
      try {
        const res = await fetch(`${url}/v2/models/iris/infer`, { method: "POST", body: GOOD_REQUEST });
        const body = await res.text();
        if (res.status === 200) ok++;
        else failures.push(`HTTP ${res.status} ${body.slice(0, 80)}`);
        versions.add(res.headers.get("x-modelship-version") ?? "");
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const running = Array.from({ length: clients }, client);
  return async () => {
    stop = true;
    await Promise.all(running);
    return { ok, failures, versions };
  };
}
