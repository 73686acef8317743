import { predictionRecordParts, type PendingPrediction } from "./format-prediction-record.ts";
import {
  createRotatingLogWriter,
  LogWriteError,
  type LineBatch,
  type LogFiles,
} from "./rotating-log-writer.ts";

/** Size of the buffers queued lines are encoded into (a larger record gets a buffer of its own). */
const CHUNK_BYTES = 256 * 1024;

/** Where and how much a server logs; every field but `dir` has a default (see PREDICTION_LOG_DEFAULTS). */
export type PredictionLogSettings = {
  /** Folder of the JSON-lines files; created when missing. */
  dir: string;
  /** Share of inferences logged, 0 to 1 (0 logs none). */
  sampleRate?: number;
  /** Most bytes the folder's log files hold together. */
  maxLogBytes?: number;
  /** Size at which a file is closed and the next one started. */
  rotateBytes?: number;
  /** Requests with larger bodies (and records that would come out larger) keep only a summary. */
  maxRecordBytes?: number;
};

export const PREDICTION_LOG_DEFAULTS = {
  sampleRate: 1,
  maxLogBytes: 100 * 1024 * 1024,
  rotateBytes: 10 * 1024 * 1024,
  maxRecordBytes: 64 * 1024,
  flushIntervalMs: 100,
  maxPendingRecords: 10_000,
} as const;

/** Counts the log reports, for the server's metrics. */
export type PredictionLogObserver = {
  written(n: number): void;
  summarised(n: number): void;
  sampledOut(): void;
  dropped(reason: "queue_full" | "write_error", n: number): void;
  writeError(code: string): void;
  filesDeleted(n: number): void;
  diskBytes(bytes: number): void;
};

export type PredictionLogOptions = PredictionLogSettings & {
  /** How often queued records are written, in ms. */
  flushIntervalMs?: number;
  /** Records queued beyond this are dropped (counted), so a stalled disk cannot grow memory. */
  maxPendingRecords?: number;
  random?: () => number;
  now?: () => Date;
  pid?: number;
  files?: LogFiles;
  observer?: PredictionLogObserver;
  /** Told once per kind of failure (e.g. ENOSPC), so a full disk does not flood the log. */
  warn?: (message: string) => void;
};

export type PredictionLog = {
  /** Whether this inference is to be logged (the sampling draw); cheap, called on the request path. */
  sample(): boolean;
  /** Queues a sampled prediction; never waits on the disk. */
  offer(p: PendingPrediction): void;
  /** Writes everything queued so far. Never throws: failures are counted and warned about. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is queued. */
  close(): Promise<void>;
};

/**
 * A prediction log off the request path: the server offers a prediction after its answer is sent,
 * and `offer` only concatenates the texts the server already holds (the request body it parsed,
 * the answer it sent) into a JSON line; a timer appends the queued lines to rotating files in one
 * write per batch. A full disk, a folder that cannot be written or a stalled disk drop records
 * (counted, warned about once) and never fail or slow down a request.
 */
export function createPredictionLog(o: PredictionLogOptions): PredictionLog {
  const d = PREDICTION_LOG_DEFAULTS;
  const sampleRate = o.sampleRate ?? d.sampleRate;
  const maxRecordBytes = o.maxRecordBytes ?? d.maxRecordBytes;
  const maxPending = o.maxPendingRecords ?? d.maxPendingRecords;
  const random = o.random ?? Math.random;
  const observer = o.observer;
  const warned = new Set<string>();
  const writer = createRotatingLogWriter({
    dir: o.dir,
    rotateBytes: o.rotateBytes ?? d.rotateBytes,
    maxBytes: o.maxLogBytes ?? d.maxLogBytes,
    now: o.now ?? (() => new Date()),
    pid: o.pid ?? process.pid,
    ...(o.files === undefined ? {} : { files: o.files }),
    ...(observer === undefined ? {} : { onDeleted: (n: number) => observer.filesDeleted(n) }),
  });
  /**
   * Lines offered, not yet written (the batch being written is no longer here), encoded as UTF-8
   * straight into large buffers outside the JS heap: the request and answer texts die young with
   * their request, and no object is kept per line. Full buffers wait in `sealed`.
   */
  let sealed: LineBatch[] = [];
  let chunk: Buffer | undefined;
  let used = 0;
  let ends: number[] = [];
  /** A written buffer of CHUNK_BYTES, used again for the next lines. */
  let spare: Buffer | undefined;
  let pendingRecords = 0;
  /** How many of the pending records are summaries. */
  let pendingSummaries = 0;
  let running: Promise<void> | undefined;
  /** A flush waiting for the running one to end. */
  let next: Promise<void> | undefined;
  let closed = false;
  const timer = setInterval(() => void flush(), o.flushIntervalMs ?? d.flushIntervalMs);
  timer.unref();

  function warnOnce(key: string, message: string): void {
    if (warned.has(key)) return;
    warned.add(key);
    o.warn?.(message);
  }

  /** Ends the current buffer's lines as a batch and starts a buffer with room for `bytes`. */
  function seal(bytes: number): void {
    if (chunk !== undefined && ends.length > 0) sealed.push({ bytes: chunk.subarray(0, used), ends });
    if (bytes <= CHUNK_BYTES && spare !== undefined) {
      chunk = spare;
      spare = undefined;
    } else chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes));
    used = 0;
    ends = [];
  }

  /** Encodes one line into the current buffer, after the lines before it. */
  function enqueue(parts: readonly string[]): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for that always holds the line.
    let most = 1;
    for (const part of parts) most += 3 * part.length;
    if (chunk === undefined || chunk.byteLength - used < most) seal(most);
    const into = chunk!;
    for (const part of parts) used += into.write(part, used);
    into[used++] = 0x0a;
    ends.push(used);
    pendingRecords++;
  }

  async function writeBatch(
    batches: readonly LineBatch[],
    records: number,
    summarised: number,
  ): Promise<void> {
    try {
      await writer.write(batches);
      observer?.written(records);
    } catch (err) {
      const written = err instanceof LogWriteError ? err.written : 0;
      const code = err instanceof LogWriteError ? err.code : "unknown";
      observer?.written(written);
      observer?.dropped("write_error", records - written);
      observer?.writeError(code);
      warnOnce(
        `write:${code}`,
        `prediction log: cannot write to ${o.dir} (${(err as Error).message}); predictions are dropped until it can, requests are still answered`,
      );
    }
    if (summarised > 0) observer?.summarised(summarised);
    observer?.diskBytes(writer.diskBytes());
  }

  /** Writes the lines queued now, in one batch; lines offered meanwhile wait for the next flush. */
  async function writePending(): Promise<void> {
    if (pendingRecords === 0) return;
    if (ends.length > 0) sealed.push({ bytes: chunk!.subarray(0, used), ends });
    const batches = sealed;
    const records = pendingRecords;
    const summarised = pendingSummaries;
    const last = chunk;
    sealed = [];
    chunk = undefined;
    pendingRecords = 0;
    pendingSummaries = 0;
    await writeBatch(batches, records, summarised);
    if (last?.byteLength === CHUNK_BYTES) spare = last;
  }

  /**
   * One write at a time, and one batch per flush: looping until the queue is empty would turn a
   * slow write into a stream of writes of a line or two each (a file opened per line). A flush
   * asked for during a write runs once that write ends (shared by every caller meanwhile), so it
   * still writes everything offered before it was asked for.
   */
  function flush(): Promise<void> {
    if (running === undefined) {
      running = writePending().finally(() => {
        running = undefined;
      });
      return running;
    }
    next ??= running.then(() => {
      next = undefined;
      return flush();
    });
    return next;
  }

  return {
    sample() {
      if (closed || sampleRate <= 0) return false;
      if (sampleRate >= 1 || random() < sampleRate) return true;
      observer?.sampledOut();
      return false;
    },
    offer(p) {
      if (closed) return;
      if (pendingRecords >= maxPending) {
        observer?.dropped("queue_full", 1);
        warnOnce(
          "queue",
          `prediction log: more than ${maxPending} records wait for the disk; new ones are dropped until it catches up`,
        );
        return;
      }
      const { parts, summarised } = predictionRecordParts(p, maxRecordBytes);
      enqueue(parts);
      if (summarised) pendingSummaries++;
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
      await writer.close();
    },
  };
}
