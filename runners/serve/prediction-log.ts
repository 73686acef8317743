import { formatPredictionRecord, type PendingPrediction } from "./format-prediction-record.ts";
import { createRotatingLogWriter, LogWriteError, type LogFiles } from "./rotating-log-writer.ts";

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

/** Records formatted per event-loop turn, so a burst never holds the loop long. */
const FORMAT_SLICE = 32;

/** A formatted record waiting for the disk. */
type Line = { text: string; summarised: boolean };

/**
 * A prediction log off the request path: `offer` only queues references to the parsed request and
 * the answer; right after the answer is sent (setImmediate, a slice at a time) they are formatted
 * into JSON lines, so the references die young, and a timer appends the lines to rotating files in
 * one write per batch. A full disk, a folder that cannot be written or a stalled disk drop records
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
  /** Offered, not yet formatted. */
  let pending: PendingPrediction[] = [];
  /** Formatted, not yet written. */
  let lines: Line[] = [];
  let formatting = false;
  let running: Promise<void> | undefined;
  let closed = false;
  const timer = setInterval(() => void flush(), o.flushIntervalMs ?? d.flushIntervalMs);
  timer.unref();

  /** Formats up to FORMAT_SLICE offered records into lines. */
  function formatSlice(): void {
    const n = Math.min(pending.length, FORMAT_SLICE);
    for (let i = 0; i < n; i++) {
      const { line, summarised } = formatPredictionRecord(pending[i]!, maxRecordBytes);
      lines.push({ text: `${line}\n`, summarised });
    }
    pending = n === pending.length ? [] : pending.slice(n);
  }

  function scheduleFormat(): void {
    if (formatting) return;
    formatting = true;
    setImmediate(() => {
      formatting = false;
      formatSlice();
      if (pending.length > 0) scheduleFormat();
    });
  }

  function warnOnce(key: string, message: string): void {
    if (warned.has(key)) return;
    warned.add(key);
    o.warn?.(message);
  }

  async function writeBatch(batch: Line[]): Promise<void> {
    const texts = batch.map((l) => l.text);
    const summarised = batch.reduce((n, l) => n + (l.summarised ? 1 : 0), 0);
    try {
      await writer.write(texts);
      observer?.written(texts.length);
    } catch (err) {
      const written = err instanceof LogWriteError ? err.written : 0;
      const code = err instanceof LogWriteError ? err.code : "unknown";
      observer?.written(written);
      observer?.dropped("write_error", texts.length - written);
      observer?.writeError(code);
      warnOnce(
        `write:${code}`,
        `prediction log: cannot write to ${o.dir} (${(err as Error).message}); predictions are dropped until it can, requests are still answered`,
      );
    }
    if (summarised > 0) observer?.summarised(summarised);
    observer?.diskBytes(writer.diskBytes());
  }

  async function drain(): Promise<void> {
    // Records offered while a batch is written are picked up before the promise settles.
    for (;;) {
      while (pending.length > 0) formatSlice();
      if (lines.length === 0) return;
      const batch = lines;
      lines = [];
      await writeBatch(batch);
    }
  }

  /** One write at a time: a flush asked for during one shares it. */
  function flush(): Promise<void> {
    running ??= drain().finally(() => {
      running = undefined;
    });
    return running;
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
      if (pending.length + lines.length >= maxPending) {
        observer?.dropped("queue_full", 1);
        warnOnce(
          "queue",
          `prediction log: more than ${maxPending} records wait for the disk; new ones are dropped until it catches up`,
        );
        return;
      }
      pending.push(p);
      scheduleFormat();
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
    },
  };
}
