import type { FittedPreprocessor } from "./preprocessor.ts";

export type ExampleInput = {
  name: string;
  datatype: "FP32" | "BYTES";
  shape: number[];
  data: (number | string)[];
};

/**
 * One typical row as V2 inputs, from what training learned: a numeric column's median/mean (or
 * the middle of its min-max range), a categorical column's first category. Used to show users a
 * request that works against their model.
 */
export function exampleInputs(p: FittedPreprocessor): ExampleInput[] {
  return p.columns.map((col) => {
    if (col.kind === "categorical") {
      const onehot = col.steps.find((s) => s.op === "onehot");
      const value = onehot && "categories" in onehot ? String(onehot.categories[0] ?? "") : "";
      return { name: col.name, datatype: "BYTES", shape: [1], data: [value] };
    }
    let value = 0;
    for (const step of col.steps) {
      if (step.op === "impute" && typeof step.value === "number") value = step.value;
      else if (step.op === "standardize") value = step.mean;
      else if (step.op === "minmax") value = step.min + step.range / 2;
      else continue;
      break;
    }
    return { name: col.name, datatype: "FP32", shape: [1], data: [Number(value.toPrecision(6))] };
  });
}
