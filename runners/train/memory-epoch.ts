import { shuffledIndices } from "../../core/data/split.ts";
import {
  addSums,
  epochLogs,
  evaluateBatch,
  trainableVariables,
  trainGroup,
  type Sums,
} from "./accumulate-epoch.ts";
import type { StreamedData, TensorData } from "./fit-model.ts";
import type { Tf } from "./select-backend.ts";

type Sequential = ReturnType<Tf["sequential"]>;
type Tensor = ReturnType<Tf["tensor"]>;

/** One side of the split held in memory, row-major: model inputs, and targets as trained on. */
export type MemorySide = {
  rows: number;
  x: Float32Array;
  xWidth: number;
  /** One-hot classes (`yWidth` = classes), or the (scaled) value (`yWidth` = 1). */
  y: Float32Array;
  yWidth: number;
};

/** Training data held in memory as plain arrays; batches become tensors one at a time. */
export type MemoryData = { train: MemorySide; validation: MemorySide };

/** Rows per evaluation batch, at least (as the streaming path evaluates). */
export const EVAL_BATCH = 1024;

/**
 * Epochs over rows held in memory. Each epoch visits the training rows in a seeded order
 * (params seed, epoch), trains in micro-batches of `batchSize` consecutive rows of that order
 * (one optimizer step per `accumulateSteps` of them: a group trains like one batch of
 * batchSize × accumulateSteps rows), then measures the validation rows.
 *
 * Only the rows of the current batch are copied into tensors: slicing one large tensor per
 * batch costs a copy of the whole tensor on the wasm backend, which made an epoch quadratic in
 * its rows.
 */
export function memoryEpochs(tf: Tf, data: MemoryData, seed: number): StreamedData {
  const { train, validation } = data;
  return {
    trainRows: train.rows,
    async epoch(model, epoch, acc) {
      const order = Int32Array.from(shuffledIndices(train.rows, seed * 100003 + epoch));
      const variables = trainableVariables(model);
      const sums: Sums = { loss: 0, metric: 0, rows: 0 };
      const group = acc.batchSize * acc.accumulateSteps;
      for (let g0 = 0; g0 < train.rows; g0 += group) {
        const end = Math.min(g0 + group, train.rows);
        const micro: Array<{ x: Tensor; y: Tensor }> = [];
        try {
          for (let b0 = g0; b0 < end; b0 += acc.batchSize) {
            micro.push(batchOf(tf, train, b0, Math.min(acc.batchSize, end - b0), order));
          }
          addSums(sums, trainGroup(tf, model, variables, micro, acc));
        } finally {
          micro.forEach((b) => (b.x.dispose(), b.y.dispose()));
        }
        // Let timers and signals run between steps, as model.fit does.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const val = await memoryPass(tf, model, validation, Math.max(acc.batchSize, EVAL_BATCH));
      return epochLogs(acc.task, sums, val);
    },
  };
}

/**
 * Row-weighted compiled loss and metric over one side, `size` rows a batch in stored order;
 * `onBatch` also sees each batch's inputs and its first row.
 */
export async function memoryPass(
  tf: Tf,
  model: Sequential,
  side: MemorySide,
  size: number,
  onBatch?: (x: Tensor, first: number) => Promise<void>,
): Promise<Sums> {
  const sums: Sums = { loss: 0, metric: 0, rows: 0 };
  for (let b0 = 0; b0 < side.rows; b0 += size) {
    const rows = Math.min(size, side.rows - b0);
    const { x, y } = batchOf(tf, side, b0, rows);
    try {
      const r = await evaluateBatch(model, x, y, size);
      addSums(sums, { loss: r.loss * rows, metric: r.metric * rows, rows });
      await onBatch?.(x, b0);
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return sums;
}

/** Tensors of `rows` rows starting at position `start`: of `order` when given, else stored order. */
function batchOf(
  tf: Tf,
  side: MemorySide,
  start: number,
  rows: number,
  order?: Int32Array,
): { x: Tensor; y: Tensor } {
  if (!order) {
    const x = side.x.subarray(start * side.xWidth, (start + rows) * side.xWidth);
    const y = side.y.subarray(start * side.yWidth, (start + rows) * side.yWidth);
    return { x: tf.tensor2d(x, [rows, side.xWidth]), y: tf.tensor2d(y, [rows, side.yWidth]) };
  }
  const x = pickRows(side.x, side.xWidth, order, start, rows);
  const y = pickRows(side.y, side.yWidth, order, start, rows);
  return { x: tf.tensor2d(x, [rows, side.xWidth]), y: tf.tensor2d(y, [rows, side.yWidth]) };
}

/** Rows order[start], order[start + 1], … of a row-major matrix, copied into a new array. */
function pickRows(
  values: Float32Array,
  width: number,
  order: Int32Array,
  start: number,
  rows: number,
): Float32Array {
  const out = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) {
    const from = order[start + i]! * width;
    for (let c = 0; c < width; c++) out[i * width + c] = values[from + c]!;
  }
  return out;
}

/** The values of tensors held by a caller, as a `MemoryData` (read once). */
export async function memoryOfTensors(data: TensorData): Promise<MemoryData> {
  const side = async (x: Tensor, y: Tensor): Promise<MemorySide> => ({
    rows: x.shape[0] ?? 0,
    x: Float32Array.from(await x.data()),
    xWidth: x.shape[1] ?? 1,
    y: Float32Array.from(await y.data()),
    yWidth: y.shape[1] ?? 1,
  });
  return { train: await side(data.xTrain, data.yTrain), validation: await side(data.xVal, data.yVal) };
}
