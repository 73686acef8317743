import { badRequest } from "./serve-error.ts";

/** Largest finite float32; larger numbers become Infinity in an FP32 tensor. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Rejects (400) a floating-point tensor holding NaN or ±Infinity, including numbers that only
 * became infinite when stored as float32 (1e308 in an FP32 input). `raw` is what the client sent.
 */
export function assertFinite(
  data: Float32Array | Float64Array,
  where: string,
  raw?: ArrayLike<unknown>,
): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    const sent = raw?.[i];
    const overflow = typeof sent === "number" && Number.isFinite(sent);
    const what = overflow
      ? `${sent}, which is Infinity as float32 (largest ${FLOAT32_MAX})`
      : String(data[i]);
    throw badRequest(
      "data-non-finite",
      `${where}: data[${i}] is ${what}; send finite numbers within the tensor type's range`,
    );
  }
}
