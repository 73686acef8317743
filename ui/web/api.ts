/** Shapes of the JSON API (the CLI's `--json` documents), as far as the page reads them. */
export type RunEntry = {
  id: string;
  source: string;
  path: string;
  status: "succeeded" | "failed";
  model: string;
  startedAt: string;
  durationMs: number;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
};
export type Epoch = { epoch: number } & Record<string, number>;
export type RunDetail = RunEntry & { history: Epoch[] };
export type Artifact = { path: string; sha256: string; bytes: number };
export type ModelVersion = {
  name: string;
  version: string;
  tag: string;
  createdAt: string;
  runId: string;
  metrics: Record<string, number>;
  dataFingerprint: string;
  lineage: { commit?: string | null; branch?: string | null; parentVersion?: string | null; pr?: number };
  artifacts: Artifact[];
  aliases: string[];
};
export type AliasEvent = { version: string | null; at: string; reason?: string };
export type VersionDetail = ModelVersion & { aliasHistory: Record<string, AliasEvent[]> };
export type TrafficEntry = {
  version: string;
  slot: string;
  variant: string;
  weight: number;
  shadowPercent: number | null;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
};
export type TimelineEntry = {
  at: string;
  event: string;
  from: string;
  to: string;
  accepted: boolean;
  note?: string;
};
export type RolloutRecord = {
  id: string;
  kind: string;
  version: string;
  phase: string;
  outcome: string | null;
  reason: string | null;
  message: string | null;
  timeline: TimelineEntry[];
};
export type Slot = { version: string; url: string; pid: number | null } | null;
export type DeploymentStatus = {
  environment: string;
  serving: boolean;
  active: { colour: string; version: string; since: string } | null;
  previous: { version: string } | null;
  slots: { blue: Slot; green: Slot };
  current: RolloutRecord | null;
  history: RolloutRecord[];
  traffic: TrafficEntry[];
  rollout: {
    strategy: string;
    phase: string;
    step: number | null;
    steps: number[] | null;
    weight: number;
  } | null;
  health?: { state: string; restarts: number } | null;
};

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

async function parse<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok)
    throw new ApiError(body.error?.message ?? `HTTP ${res.status}`, body.error?.code ?? "http-error");
  return body as T;
}

export const getJson = async <T>(path: string): Promise<T> => parse<T>(await fetch(path));

/** Runs an action with the router's admin token; the server checks it against the router's own. */
export async function postAction<T>(action: string, token: string, body: unknown = {}): Promise<T> {
  return parse<T>(
    await fetch(`/api/actions/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    }),
  );
}

export const formatNumber = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined
    ? "–"
    : Number.isFinite(x)
      ? String(Number(x.toPrecision(digits)))
      : String(x);

/** The latest `modelship drift --env` report (the `drift --json` document plus when and against what). */
export type DriftFeature = {
  name: string;
  test: string;
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
};
export type DriftReport = {
  drift: boolean;
  share: number;
  status: string;
  rows: { reference: number; current: number };
  features: DriftFeature[];
  prediction: DriftFeature | null;
  at: string;
  reference: string;
};
