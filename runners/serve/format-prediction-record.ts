import {
  RAW_PREDICTION_RECORD_VERSION,
  type TrafficKind,
  type Variant,
} from "../../core/monitoring/prediction-record.ts";

/**
 * What the request path hands the prediction log: the text it already holds (the request body the
 * server parsed, the answer it sent) and a few numbers, so nothing is parsed, copied or encoded
 * for the log before the answer is sent.
 */
export type PendingPrediction = {
  /** Epoch milliseconds when the answer was sent. */
  at: number;
  id: string;
  model: string;
  version: string;
  variant: Variant;
  traffic: TrafficKind;
  latencyMs: number;
  status: number;
  /** Size of the request body in bytes. */
  bodyBytes: number;
  /** Rows of the request (the first input's first dimension), for a summary. */
  rows?: number;
  /** The request body's JSON text, validated by the server (its JSON header when binary data followed). */
  request?: string;
  /** The binary tensor data after the request's JSON header. */
  requestBinary?: Uint8Array;
  /** The answer's JSON text (its JSON header when outputs went back as binary data). */
  response?: string;
  /** The binary tensor data of the answer, in order. */
  responseBinary?: readonly Uint8Array[];
};

/** JSON text on one line: outside strings a line break is whitespace, so a space stands in for it. */
function oneLine(json: string): string {
  return json.includes("\n") || json.includes("\r") ? json.replace(/[\r\n]/g, " ") : json;
}

function base64(parts: readonly Uint8Array[]): string {
  if (parts.length === 1) {
    const p = parts[0]!;
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString("base64");
  }
  return Buffer.concat(parts).toString("base64");
}

/** Base64 length of `n` bytes. */
const base64Length = (n: number) => Math.ceil(n / 3) * 4;

/**
 * One JSON line (a RawPredictionRecord) for a prediction, built by concatenating the texts the
 * server already has. Bodies over `maxRecordBytes`, and records that would come out larger than
 * that, keep only `summary: {rows, bytes}`.
 */
export function formatPredictionRecord(
  p: PendingPrediction,
  maxRecordBytes: number,
): { line: string; summarised: boolean } {
  const head =
    `{"v":${RAW_PREDICTION_RECORD_VERSION},"ts":"${new Date(p.at).toISOString()}","id":${JSON.stringify(p.id)}` +
    `,"model":${JSON.stringify(p.model)},"version":${JSON.stringify(p.version)}` +
    `,"variant":"${p.variant}","traffic":"${p.traffic}"` +
    `,"latencyMs":${Math.round(p.latencyMs * 1000) / 1000},"status":${p.status}`;
  if (p.request === undefined) return { line: `${head}}`, summarised: false };
  const responseBinaryBytes = (p.responseBinary ?? []).reduce((n, b) => n + b.byteLength, 0);
  const size =
    head.length +
    p.request.length +
    (p.response?.length ?? 0) +
    base64Length(p.requestBinary?.byteLength ?? 0) +
    base64Length(responseBinaryBytes);
  if (p.bodyBytes > maxRecordBytes || size > maxRecordBytes) {
    return {
      line: `${head},"summary":{"rows":${p.rows ?? 0},"bytes":${p.bodyBytes}}}`,
      summarised: true,
    };
  }
  let line = `${head},"request":${oneLine(p.request)}`;
  if (p.requestBinary !== undefined && p.requestBinary.byteLength > 0)
    line += `,"requestBinary":"${base64([p.requestBinary])}"`;
  // The server's own answers are JSON.stringify-made text: already on one line.
  if (p.response !== undefined) line += `,"response":${p.response}`;
  if (responseBinaryBytes > 0) line += `,"responseBinary":"${base64(p.responseBinary!)}"`;
  return { line: `${line}}`, summarised: false };
}
