import ort from "onnxruntime-node";
import type { RunnableSession } from "./worker-session.ts";

/** One output of one request: its rows of the batch's output tensor (a view, not a copy). */
export type OutputView = { dims: readonly number[]; data: ort.Tensor.DataType };

/** Outputs by name, and the seconds the session.run that produced them took. */
export type RunResult = { outputs: Record<string, OutputView>; runSeconds: number };

export type BatchRunner = {
  /** Runs the model on `feeds` (whose tensors it disposes), possibly in one batch with other requests. */
  run(feeds: Record<string, ort.Tensor>): Promise<RunResult>;
};

export type BatchRunnerOptions = {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Whether every input and output has a free first (batch) dimension, so requests can be stacked along it. */
  batchable: boolean;
  /** Most rows one stacked run may hold; 1 turns batching off. */
  maxBatchRows: number;
  /**
   * How long the first queued request waits for others to stack with, in microseconds (Triton's
   * `max_queue_delay_microseconds`). 0, the default, waits for none: only requests that arrive in
   * the same event-loop turn stack. Timers fire in whole milliseconds, so the wait is rounded up.
   */
  maxQueueDelayUs?: number;
  /**
   * Row counts worth dispatching at once (Triton's `preferred_batch_size`): a queue that holds the
   * largest of them runs without waiting out the delay. Without any, a full `maxBatchRows` does.
   */
  preferredBatchRows?: readonly number[];
  /** Told the rows of every run and how long each request waited in the queue before its run. */
  observer?: BatchObserver;
};

/** Receives batching measurements, for the server's metrics. */
export type BatchObserver = {
  ran(rows: number): void;
  waited(seconds: number): void;
};

type Job = {
  feeds: Record<string, ort.Tensor>;
  rows: number;
  /** Dimensions after the first, per input; only jobs with equal keys can be stacked. */
  key: string;
  /** performance.now() when the job was queued. */
  queuedAt: number;
  resolve: (result: RunResult) => void;
  reject: (err: unknown) => void;
};

type Data = ort.Tensor.DataType;

function concat(parts: Data[], total: number): Data {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const out = new (first.constructor as new (n: number) => Exclude<Data, string[]>)(total);
  let offset = 0;
  for (const p of parts as Array<Exclude<Data, string[]>>) {
    (out as Float32Array).set(p as Float32Array, offset);
    offset += p.length;
  }
  return out;
}

/** `dims` with its first dimension replaced by `rows`. */
function withRows(dims: readonly number[], rows: number): number[] {
  const out = dims.slice();
  out[0] = rows;
  return out;
}

function rowsOf(data: Data, from: number, to: number): Data {
  return Array.isArray(data) ? data.slice(from, to) : (data as Float32Array).subarray(from, to);
}

function disposeAll(tensors: Record<string, ort.Tensor>): void {
  for (const name in tensors) tensors[name]!.dispose();
}

/** The dimensions after the first, as `AxB;` (`;` alone for one dimension). */
function dimsKey(dims: readonly number[]): string {
  let key = "";
  for (let i = 1; i < dims.length; i++) key += i === 1 ? `${dims[i]}` : `x${dims[i]}`;
  return `${key};`;
}

/**
 * Runs a session for concurrent requests. Requests that arrive in the same event-loop turn (or,
 * with `maxQueueDelayUs`, within that window) are stacked along the batch dimension and run once,
 * as Triton's dynamic batcher does: one run costs far less than several, and by default a lone
 * request is not delayed. A stacked run that fails, or whose outputs do not keep the batch rows,
 * is retried request by request, so each request gets its own answer or error.
 */
export function createBatchRunner(session: RunnableSession, opts: BatchRunnerOptions): BatchRunner {
  let queue: Job[] = [];
  let queuedRows = 0;
  let scheduled = false;
  let window: ReturnType<typeof setTimeout> | undefined;
  let batchable = opts.batchable && opts.maxBatchRows > 1;
  const delayMs = Math.ceil((opts.maxQueueDelayUs ?? 0) / 1000);
  const dispatchRows = Math.min(
    opts.maxBatchRows,
    Math.max(0, ...(opts.preferredBatchRows ?? [])) || Infinity,
  );

  /** Queues a job; the queue runs in the next turn, or once the delay window ends or the queue is full enough. */
  function enqueue(job: Job): void {
    queue.push(job);
    queuedRows += job.rows;
    if (scheduled) return;
    if (delayMs === 0 || queuedRows >= dispatchRows) {
      clearTimeout(window);
      scheduled = true;
      setImmediate(flush);
    } else window ??= setTimeout(flush, delayMs);
  }

  const observer = opts.observer;

  function observeDispatch(jobs: readonly Job[], rows: number): void {
    if (observer === undefined) return;
    const now = performance.now();
    observer.ran(rows);
    for (const j of jobs) observer.waited((now - j.queuedAt) / 1000);
  }

  async function runOne(feeds: Record<string, ort.Tensor>): Promise<RunResult> {
    const started = performance.now();
    let results: Record<string, ort.Tensor>;
    try {
      results = await session.run(feeds, opts.outputNames as string[]);
    } finally {
      disposeAll(feeds);
    }
    const runSeconds = (performance.now() - started) / 1000;
    const outputs: Record<string, OutputView> = {};
    for (const name of opts.outputNames) {
      const t = results[name];
      if (t !== undefined) outputs[name] = { dims: t.dims, data: t.data };
    }
    disposeAll(results);
    return { outputs, runSeconds };
  }

  /** A job of a failed stacked run, run again alone (its rows and wait were counted already). */
  function retryOne(job: Job): void {
    observer?.ran(job.rows);
    runOne(job.feeds).then(job.resolve, job.reject);
  }

  function settleOne(job: Job): void {
    observeDispatch([job], job.rows);
    runOne(job.feeds).then(job.resolve, job.reject);
  }

  async function runStacked(jobs: Job[]): Promise<void> {
    const total = jobs.reduce((n, j) => n + j.rows, 0);
    observeDispatch(jobs, total);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of opts.inputNames) {
      const first = jobs[0]!.feeds[name]!;
      const parts: Data[] = [];
      let length = 0;
      for (const j of jobs) {
        const data = j.feeds[name]!.data;
        parts.push(data);
        length += data.length;
      }
      feeds[name] = new ort.Tensor(
        first.type,
        concat(parts, length) as Float32Array,
        withRows(first.dims, total),
      );
    }
    let result: RunResult;
    try {
      result = await runOne(feeds);
    } catch {
      for (const j of jobs) retryOne(j);
      return;
    }
    const outs = Object.entries(result.outputs);
    if (outs.some(([, o]) => o.dims[0] !== total)) {
      // The declared batch dimension is not one at run time: stop stacking for this model.
      batchable = false;
      for (const j of jobs) retryOne(j);
      return;
    }
    let row = 0;
    for (const j of jobs) {
      const outputs: Record<string, OutputView> = {};
      for (const [name, o] of outs) {
        const rowSize = total === 0 ? 0 : o.data.length / total;
        outputs[name] = {
          dims: withRows(o.dims, j.rows),
          data: rowsOf(o.data, row * rowSize, (row + j.rows) * rowSize),
        };
      }
      row += j.rows;
      disposeAll(j.feeds);
      j.resolve({ outputs, runSeconds: result.runSeconds });
    }
  }

  function flush(): void {
    scheduled = false;
    clearTimeout(window);
    window = undefined;
    queuedRows = 0;
    const jobs = queue;
    queue = [];
    while (jobs.length > 0) {
      const head = jobs.shift()!;
      const group = [head];
      let rows = head.rows;
      for (let i = 0; i < jobs.length && rows < opts.maxBatchRows;) {
        const j = jobs[i]!;
        if (j.key === head.key && rows + j.rows <= opts.maxBatchRows) {
          group.push(j);
          rows += j.rows;
          jobs.splice(i, 1);
        } else i++;
      }
      if (group.length === 1) settleOne(head);
      else runStacked(group).catch((err: unknown) => group.forEach((j) => j.reject(err)));
    }
  }

  return {
    run(feeds) {
      const rows = feeds[opts.inputNames[0]!]?.dims[0];
      const alone = () => {
        if (observer !== undefined) {
          observer.ran(rows ?? 1);
          observer.waited(0);
        }
        return runOne(feeds);
      };
      if (!batchable || rows === undefined) return alone();
      let key = "";
      for (const name of opts.inputNames) {
        const t = feeds[name];
        // Inputs that disagree on the row count cannot be stacked; onnxruntime judges them alone.
        if (t === undefined || t.dims[0] !== rows) return alone();
        key += dimsKey(t.dims);
      }
      const queuedAt = performance.now();
      return new Promise<RunResult>((resolve, reject) =>
        enqueue({ feeds, rows, key, queuedAt, resolve, reject }),
      );
    },
  };
}
