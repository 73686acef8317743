import type { AnalysisAgreement } from "./rollout-types.ts";

type Output = { name: string; shape: number[]; data: unknown[] };

/** The `outputs` of a V2 infer answer (JSON data only), or undefined when the body is not one. */
function outputsOf(body: unknown): Output[] | undefined {
  const outputs = (body as { outputs?: unknown } | null)?.outputs;
  if (!Array.isArray(outputs)) return undefined;
  const out: Output[] = [];
  for (const o of outputs as Array<Record<string, unknown>>) {
    if (typeof o?.name === "string" && Array.isArray(o.shape) && Array.isArray(o.data))
      out.push({ name: o.name, shape: o.shape as number[], data: o.data });
  }
  return out;
}

/** The class a one-row answer names: its `label` output, else the argmax of a [1, k >= 2] output. */
function classOf(outputs: Output[]): string | undefined {
  const label = outputs.find((o) => o.name === "label");
  if (typeof label?.data[0] === "string") return label.data[0];
  const scores = outputs.find((o) => o.shape.length === 2 && (o.shape[1] ?? 0) >= 2);
  if (scores === undefined || !scores.data.every((v) => typeof v === "number")) return undefined;
  const data = scores.data as number[];
  return String(data.indexOf(Math.max(...data)));
}

function numbersOf(outputs: Output[]): number[] | undefined {
  const first = outputs.find((o) => o.data.length > 0 && o.data.every((v) => typeof v === "number"));
  return first?.data as number[] | undefined;
}

/**
 * What a one-row V2 answer predicts: the class it names (classification), else its first number
 * (regression); undefined when the body is not an answer with either.
 */
export function predictionOf(body: unknown): { label: string } | { value: number } | undefined {
  const outputs = outputsOf(body);
  if (outputs === undefined) return undefined;
  const label = classOf(outputs);
  if (label !== undefined) return { label };
  const value = numbersOf(outputs)?.[0];
  return value === undefined ? undefined : { value };
}

/**
 * Compares the live and the new version's answers to the same reference rows (`live[i]` and
 * `candidate[i]` answer row i; undefined where a version gave no 200 answer, which the error rate
 * already counts). Classification when answers name a class, regression otherwise: rows agree
 * when every value differs by at most `tolerance` × max(1, |live value|).
 */
export function compareAnswers(
  live: readonly unknown[],
  candidate: readonly unknown[],
  tolerance: number,
): AnalysisAgreement {
  let rows = 0;
  let agreed = 0;
  let kind: AnalysisAgreement["kind"] = "regression";
  let maxDifference = 0;
  for (let i = 0; i < Math.min(live.length, candidate.length); i++) {
    const a = outputsOf(live[i]);
    const b = outputsOf(candidate[i]);
    if (a === undefined || b === undefined) continue;
    const ca = classOf(a);
    if (ca !== undefined) {
      kind = "classification";
      rows++;
      if (ca === classOf(b)) agreed++;
      continue;
    }
    const x = numbersOf(a);
    if (x === undefined) continue;
    rows++;
    const y = numbersOf(b);
    if (y === undefined || y.length !== x.length) continue;
    let same = true;
    for (let j = 0; j < x.length; j++) {
      const d = Math.abs(x[j]! - y[j]!);
      maxDifference = Math.max(maxDifference, d);
      if (!(d <= tolerance * Math.max(1, Math.abs(x[j]!)))) same = false;
    }
    if (same) agreed++;
  }
  const result: AnalysisAgreement = { kind, rows, agreed, rate: rows === 0 ? 1 : agreed / rows };
  if (kind === "regression" && rows > 0) result.maxDifference = maxDifference;
  return result;
}
