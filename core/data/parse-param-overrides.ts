import { ModelshipError } from "../errors.ts";

/**
 * Turns `key=value` pairs (from `--set`) into a params object: values are JSON when they parse
 * (`10`, `true`, `[{"units":32}]`) and strings otherwise; dotted keys nest (`earlyStopping.patience=5`).
 */
export function parseParamOverrides(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq).trim() : "";
    if (
      !key ||
      key.split(".").some((k) => k === "" || k === "__proto__" || k === "constructor" || k === "prototype")
    ) {
      throw new ModelshipError({
        code: "param-override-invalid",
        message: `--set ${JSON.stringify(pair)} is not key=value`,
        hint: "Write e.g. --set epochs=20 --set learningRate=0.001 --set earlyStopping.patience=5.",
      });
    }
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: keep the text, e.g. `optimizer=sgd`.
    }
    const path = key.split(".");
    let node = out;
    for (const k of path.slice(0, -1)) {
      const next = node[k];
      if (next === null || typeof next !== "object" || Array.isArray(next)) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return out;
}
