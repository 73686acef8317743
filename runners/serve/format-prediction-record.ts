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

/** The second of the last time formatted, and its ISO text up to the milliseconds ("…T12:34:56."). */
let isoSecond = NaN;
let isoPrefix = "";

/**
 * `new Date(ms).toISOString()`, with the text up to the second kept from the last call: the log
 * formats many records a second, and only their milliseconds differ.
 */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    // Throws a RangeError for a time out of range, as toISOString does.
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  const milli = Math.floor(ms) - second * 1000;
  return `${isoPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

/**
 * Milliseconds rounded to the microsecond as JSON, the text `String(Math.round(ms * 1000) / 1000)`
 * gives, from integers: formatting a fractional double is one of the slowest steps of a record.
 */
export function millisText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us <= Number.MAX_SAFE_INTEGER)) return String(us / 1000);
  const whole = Math.floor(us / 1000);
  let frac = us - whole * 1000;
  if (frac === 0) return `${whole}`;
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  const text = `${frac}`;
  const zeros = digits - text.length;
  return `${whole}.${zeros === 2 ? "00" : zeros === 1 ? "0" : ""}${text}`;
}

/** The `"model"` and `"version"` members of the last record formatted: a server logs a few names over and over. */
let namesOf = { model: "", version: "", json: ',"model":"","version":""' };

function namesJson(model: string, version: string): string {
  if (model !== namesOf.model || version !== namesOf.version)
    namesOf = {
      model,
      version,
      json: `,"model":${JSON.stringify(model)},"version":${JSON.stringify(version)}`,
    };
  return namesOf.json;
}

/**
 * One JSON line (a RawPredictionRecord) for a prediction, built by concatenating the texts the
 * server already has. Bodies over `maxRecordBytes`, and records that would come out larger than
 * that, keep only `summary: {rows, bytes}`.
 */
export function formatPredictionRecord(
  p: PendingPrediction,
  maxRecordBytes: number,
): { line: string; summarised: boolean } {
  const { parts, summarised } = predictionRecordParts(p, maxRecordBytes);
  return { line: parts.join(""), summarised };
}

/**
 * The texts that, one after the other, make the record's JSON line (without its line break): the
 * request and the answer stay the strings the server holds, so the log can encode them straight
 * into its buffer without first joining them into one more string.
 */
export function predictionRecordParts(
  p: PendingPrediction,
  maxRecordBytes: number,
): { parts: string[]; summarised: boolean } {
  const head =
    `{"v":${RAW_PREDICTION_RECORD_VERSION},"ts":"${isoTime(p.at)}","id":${JSON.stringify(p.id)}` +
    namesJson(p.model, p.version) +
    `,"variant":"${p.variant}","traffic":"${p.traffic}"` +
    `,"latencyMs":${millisText(p.latencyMs)},"status":${p.status}`;
  if (p.request === undefined) return { parts: [head, "}"], summarised: false };
  const responseBinaryBytes = (p.responseBinary ?? []).reduce((n, b) => n + b.byteLength, 0);
  const size =
    head.length +
    p.request.length +
    (p.response?.length ?? 0) +
    base64Length(p.requestBinary?.byteLength ?? 0) +
    base64Length(responseBinaryBytes);
  if (p.bodyBytes > maxRecordBytes || size > maxRecordBytes) {
    return {
      parts: [head, `,"summary":{"rows":${p.rows ?? 0},"bytes":${p.bodyBytes}}}`],
      summarised: true,
    };
  }
  const parts = [`${head},"request":`, oneLine(p.request)];
  if (p.requestBinary !== undefined && p.requestBinary.byteLength > 0)
    parts.push(`,"requestBinary":"${base64([p.requestBinary])}"`);
  // The server's own answers are JSON.stringify-made text: already on one line.
  if (p.response !== undefined) parts.push(`,"response":`, p.response);
  if (responseBinaryBytes > 0) parts.push(`,"responseBinary":"${base64(p.responseBinary!)}"`);
  parts.push("}");
  return { parts, summarised: false };
}
