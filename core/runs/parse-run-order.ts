import { ModelshipError } from "../errors.ts";
import { RUN_ATTRIBUTES, type RunFilterEntity } from "./parse-run-filter.ts";
import { runAttribute, type RunEntry } from "./run-entry.ts";

/** Sort key: `-metrics.accuracy` or `metrics.accuracy DESC` sort descending. */
export type RunOrder = { entity: RunFilterEntity; key: string; descending: boolean };

const ENTITIES: Record<string, RunFilterEntity> = {
  metrics: "metrics",
  metric: "metrics",
  params: "params",
  param: "params",
  tags: "tags",
  tag: "tags",
  attributes: "attributes",
  attribute: "attributes",
  attr: "attributes",
};

/** Parses `--sort`: `[-]entity.key [ASC|DESC]`. */
export function parseRunOrder(text: string): RunOrder {
  const m = /^\s*(-?)([A-Za-z]+)\.(`[^`]+`|[^\s`]+)(?:\s+(ASC|DESC))?\s*$/i.exec(text);
  const entity = m ? ENTITIES[m[2]!.toLowerCase()] : undefined;
  const key = m?.[3]?.replace(/^`|`$/g, "");
  if (!m || entity === undefined || key === undefined || (m[1] === "-" && m[4] !== undefined)) {
    throw new ModelshipError({
      code: "run-sort-invalid",
      message: `cannot sort by '${text}'`,
      where: { file: "--sort" },
      hint: "Use e.g. `-metrics.accuracy` (descending), `metrics.val_loss` or `attributes.start_time DESC`.",
    });
  }
  if (entity === "attributes" && !(key in RUN_ATTRIBUTES)) {
    throw new ModelshipError({
      code: "run-sort-invalid",
      message: `unknown attribute '${key}'`,
      where: { file: "--sort" },
      hint: `Attributes are: ${Object.keys(RUN_ATTRIBUTES).join(", ")}.`,
    });
  }
  return { entity, key, descending: m[1] === "-" || m[4]?.toUpperCase() === "DESC" };
}

/** Sorts a copy of the runs; runs without the key (or NaN) come last whichever the direction. */
export function sortRuns(entries: readonly RunEntry[], order: RunOrder): RunEntry[] {
  const value = (e: RunEntry): number | string | undefined => {
    const v =
      order.entity === "metrics"
        ? e.metrics[order.key]
        : order.entity === "params"
          ? e.params[order.key]
          : order.entity === "tags"
            ? e.tags[order.key]
            : runAttribute(e, order.key);
    if (typeof v === "number") return Number.isNaN(v) ? undefined : v;
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : JSON.stringify(v);
  };
  const sign = order.descending ? -1 : 1;
  return [...entries].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    if (typeof x === "number" && typeof y === "number") return sign * (x - y);
    const sx = String(x);
    const sy = String(y);
    return sign * (sx < sy ? -1 : sx > sy ? 1 : 0);
  });
}
