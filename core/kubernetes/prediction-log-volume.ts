import type { IEnvVar, IVolume, IVolumeMount } from "kubernetes-models/v1";
import { predictionLogArgs } from "../config/prediction-log-args.ts";
import { MonitoringSchema, type Monitoring } from "../config/schema.ts";
import type { BuildContext } from "./kubernetes-inputs.ts";

/** Where a serving pod writes its prediction log (the pod's own folder of the volume). */
export const PREDICTION_LOG_MOUNT = "/var/lib/modelship/predictions";

const VOLUME = "predictions";

/**
 * The emptyDir's size limit in MiB: the server keeps at most `maxLogMB`, plus the file it is
 * writing (up to `rotateMB`) and a second file's worth of slack, since the kubelet evicts a pod
 * whose emptyDir outgrows its limit.
 */
export function predictionLogVolumeMiB(m: Pick<Monitoring, "maxLogMB" | "rotateMB">): number {
  return Math.ceil(m.maxLogMB + 2 * m.rotateMB);
}

/** What a pod template gains when `deploy.kubernetes.predictionLog.enabled`: none of it otherwise. */
export type PredictionLogParts = {
  args: string[];
  env: IEnvVar[];
  volumes: IVolume[];
  mounts: IVolumeMount[];
  /** Group the pod's volumes are writable by: a PersistentVolumeClaim's files belong to root otherwise. */
  fsGroup?: number;
};

/**
 * The server's `--prediction-log` flags (with `monitoring`'s sampling and size settings) and the
 * volume: an emptyDir by default, or `claimName`'s PersistentVolumeClaim, mounted at the pod's own
 * sub-folder (named after the pod) so replicas sharing a claim never write the same files.
 */
export function predictionLogParts(ctx: BuildContext, uid: number): PredictionLogParts {
  const p = ctx.kubernetes.predictionLog;
  if (!p.enabled) return { args: [], env: [], volumes: [], mounts: [] };
  const m = ctx.monitoring ?? MonitoringSchema.parse({});
  const volume: IVolume = p.claimName
    ? { name: VOLUME, persistentVolumeClaim: { claimName: p.claimName } }
    : { name: VOLUME, emptyDir: { sizeLimit: `${predictionLogVolumeMiB(m)}Mi` } };
  return {
    args: ["--prediction-log", PREDICTION_LOG_MOUNT, ...predictionLogArgs(m)],
    env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    volumes: [volume],
    mounts: [{ name: VOLUME, mountPath: PREDICTION_LOG_MOUNT, subPathExpr: "$(POD_NAME)" }],
    ...(p.claimName ? { fsGroup: uid } : {}),
  };
}
