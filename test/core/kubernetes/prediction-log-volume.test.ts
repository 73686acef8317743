import { describe, expect, it } from "vitest";
import { buildDeployment } from "../../../core/kubernetes/build-deployment.ts";
import { ConfigSchema, type ConfigInput } from "../../../core/config/schema.ts";
import {
  PREDICTION_LOG_MOUNT,
  predictionLogParts,
  predictionLogVolumeMiB,
} from "../../../core/kubernetes/prediction-log-volume.ts";

const context = (input: ConfigInput) => {
  const c = ConfigSchema.parse(input);
  return { kubernetes: c.deploy.kubernetes, environment: "production", monitoring: c.monitoring };
};
const model = { name: "iris", version: "1.2.0", modelUri: "/models/iris/1.2.0" };

describe("predictionLogVolumeMiB", () => {
  it.each([
    [100, 10, 120],
    [50, 2.5, 55],
    [1000, 0.5, 1001],
    [1, 0.01, 2],
  ])("maxLogMB %d in %d MiB files: an emptyDir of %d MiB", (maxLogMB, rotateMB, mib) => {
    expect(predictionLogVolumeMiB({ maxLogMB, rotateMB })).toBe(mib);
  });
});

describe("the serving pod's prediction log", () => {
  it.each([
    [
      "the defaults: an emptyDir of 120 MiB",
      {},
      { emptyDir: { sizeLimit: "120Mi" } },
      ["--log-sample-rate", "1", "--log-max-mb", "100", "--log-rotate-mb", "10", "--log-max-record-kb", "64"],
      undefined,
    ],
    [
      "a claim, a quarter sampled",
      {
        monitoring: { sampleRate: 0.25, maxLogMB: 40, rotateMB: 4 },
        deploy: { kubernetes: { predictionLog: { claimName: "iris-logs" } } },
      },
      { persistentVolumeClaim: { claimName: "iris-logs" } },
      [
        "--log-sample-rate",
        "0.25",
        "--log-max-mb",
        "40",
        "--log-rotate-mb",
        "4",
        "--log-max-record-kb",
        "64",
      ],
      1000,
    ],
  ] as const)("%s", (_name, input, source, flags, fsGroup) => {
    const d = buildDeployment(context(input as ConfigInput), { model, colour: "blue" }).toJSON();
    const pod = d.spec!.template.spec!;
    const server = pod.containers[0]!;
    expect(server.args!.slice(-10)).toEqual(["--prediction-log", PREDICTION_LOG_MOUNT, ...flags]);
    expect(pod.volumes).toEqual([{ name: "predictions", ...source }]);
    // Each pod writes its own folder: replicas sharing a claim never write the same files.
    expect(server.volumeMounts).toEqual([
      { name: "predictions", mountPath: PREDICTION_LOG_MOUNT, subPathExpr: "$(POD_NAME)" },
    ]);
    expect(server.env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ]);
    expect(pod.securityContext?.fsGroup).toBe(fsGroup);
  });

  it("leaves the server, its volumes and its environment alone when turned off", () => {
    const ctx = context({ deploy: { kubernetes: { predictionLog: { enabled: false } } } });
    expect(predictionLogParts(ctx, 1000)).toEqual({ args: [], env: [], volumes: [], mounts: [] });
    const pod = buildDeployment(ctx, { model, colour: "blue" }).toJSON().spec!.template.spec!;
    expect(pod.containers[0]!.args).not.toContain("--prediction-log");
    expect(pod.volumes).toBeUndefined();
    expect(pod.containers[0]!.env).toBeUndefined();
  });

  it("refuses a claim name Kubernetes would not accept", () => {
    const r = ConfigSchema.safeParse({
      deploy: { kubernetes: { predictionLog: { claimName: "Iris_Logs" } } },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["deploy", "kubernetes", "predictionLog", "claimName"]);
  });
});
